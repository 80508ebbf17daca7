/* The command-line layer's private header: the exit statuses every command
 * returns, the helpers the front ends share (main.c, sweep_cmd.c) and the
 * sweep commands' entry points. Nothing in librcsim includes it. */
#ifndef RCSIM_CLI_H
#define RCSIM_CLI_H

#include "rcsim/scenario.h"

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses of every rcsim command. */
enum {
    EXIT_OK = 0,            /* every expectation held */
    EXIT_EXPECT = 1,        /* an expectation failed */
    EXIT_INPUT = 2,         /* bad input, or a run too large for the memory */
    EXIT_INTERRUPTED = 130, /* interrupted by SIGINT/SIGTERM */
};

/* Prints "rcsim COMMAND: MSG" and a pointer to --help; returns EXIT_INPUT. */
int rc_cli_usage_error(const char *command, const char *msg);

/* Parses a non-negative decimal integer; false for anything else. */
bool rc_cli_parse_u64(const char *s, uint64_t *out);

/* Parses a seed range: `N` means seeds 1..N (N >= 1), `A..B` seeds A..B. */
bool rc_cli_parse_seeds(const char *s, uint64_t *first, uint64_t *last);

/* Accepts a comma list drawn from png, svg, pdf. */
bool rc_cli_valid_formats(const char *formats);

/* The scenario search path, in order: the directories of RCSIM_SCENARIO_PATH
 * (colon-separated), the library installed beside the executable
 * (<bin>/../share/rcsim/scenarios), and the library of the configured
 * prefix (<datadir>/rcsim/scenarios), and last the scenarios/ folder of the
 * source tree the binary was built from (for uninstalled builds). A
 * NULL-terminated array (g_strfreev). */
char **rc_cli_scenario_path(void);

/* Finds a scenario file or directory given on the command line: `name` as
 * typed when it exists, else `name`.scn, else the first directory of the
 * search path holding `name` or `name`.scn (relative names only), so that
 * `rcsim run teaching/split-5-masters` works from any directory. Returns a
 * new path, or NULL when nothing matches. */
char *rc_cli_find_scenario(const char *name);

/* The scenario's file name without its folder and without ".scn" (a new
 * string): "teaching/split-5-masters.scn" gives "split-5-masters". */
char *rc_cli_scenario_stem(const char *path);

/* A command's default output directory: rcsim-out/<prefix><stem><suffix>
 * (run: "", ""; sweep: "", "-sweep"; real: "", "-real"; compare: "",
 * "-compare"; explore: "explore-", ""). A new string. */
char *rc_cli_default_out(const char *path, const char *prefix, const char *suffix);

/* Parses the scenario at `path`; on error prints every parse error
 * (file:line:column: message) on stderr and returns NULL. */
rc_scenario *rc_cli_load(const char *path);

/* `rcsim check` (argv[0] is the command name); returns the exit status. */
int rc_check_cmd(int argc, char **argv);

/* `rcsim sweep`, `rcsim sweep-run` and `rcsim sweep-merge` (argv[0] is the
 * command name); return the exit status (EXIT_OK, EXIT_EXPECT or EXIT_INPUT). */
int rc_sweep_cmd(int argc, char **argv);
int rc_sweep_run_cmd(int argc, char **argv);
int rc_sweep_merge_cmd(int argc, char **argv);

/* `rcsim explore` (argv[0] is the command name); returns the exit status. */
int rc_explore_cmd(int argc, char **argv);
/* `rcsim compare` (compare_cmd.c; argv[0] is the command name); returns the
 * exit status (EXIT_OK, EXIT_EXPECT when a metric disagrees, EXIT_INPUT). */
int rc_compare_cmd(int argc, char **argv);

/* `rcsim real`: a scenario on real redis-server processes (argv[0] is the
 * command name); returns the exit status (EXIT_OK, EXIT_EXPECT, EXIT_INPUT or
 * EXIT_INTERRUPTED). */
int rc_real_cmd(int argc, char **argv);

/* Runs the embedded odd-vs-even demo of `rcsim` without arguments, writes its
 * outputs under `out_root`, prints what happened, and returns the exit status. */
int rc_demo_run(const char *out_root);

/* hugepages.c: starts rcsim again (once) with glibc's malloc on transparent
 * huge pages, unless RCSIM_HUGEPAGES=0, GLIBC_TUNABLES already says, or
 * valgrind or a sanitizer watches; on the second start puts the user's
 * GLIBC_TUNABLES back. Returns when it does not start again. */
void rc_cli_use_huge_pages(char **argv);

#endif
