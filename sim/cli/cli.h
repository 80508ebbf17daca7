/* The command-line layer's private header: the exit statuses every command
 * returns, the helpers the front ends share (main.c, sweep_cmd.c) and the
 * sweep commands' entry points. Nothing in librcsim includes it. */
#ifndef RCSIM_CLI_H
#define RCSIM_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses of every rcsim command. */
enum {
    EXIT_OK = 0,            /* every expectation held */
    EXIT_EXPECT = 1,        /* an expectation failed */
    EXIT_INPUT = 2,         /* bad input, or a run too large for the memory */
    EXIT_INTERRUPTED = 130, /* interrupted by SIGINT/SIGTERM */
};

/* Parses a non-negative decimal integer; false for anything else. */
bool rc_cli_parse_u64(const char *s, uint64_t *out);

/* Accepts a comma list drawn from png, svg, pdf. */
bool rc_cli_valid_formats(const char *formats);

/* `rcsim sweep`, `rcsim sweep-run` and `rcsim sweep-merge` (argv[0] is the
 * command name); return the exit status (EXIT_OK, EXIT_EXPECT or EXIT_INPUT). */
int rc_sweep_cmd(int argc, char **argv);
int rc_sweep_run_cmd(int argc, char **argv);
int rc_sweep_merge_cmd(int argc, char **argv);

/* Runs the embedded odd-vs-even demo of `rcsim` without arguments, writes its
 * outputs under `out_root`, prints what happened, and returns the exit status. */
int rc_demo_run(const char *out_root);

#endif
