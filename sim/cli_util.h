/* Internal: helpers shared by the command-line front ends (main.c, sweep_cli.c). */
#ifndef RCSIM_CLI_UTIL_H
#define RCSIM_CLI_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/* Parses a non-negative decimal integer; false for anything else. */
bool rc_cli_parse_u64(const char *s, uint64_t *out);

/* Accepts a comma list drawn from png, svg, pdf. */
bool rc_cli_valid_formats(const char *formats);

#endif
