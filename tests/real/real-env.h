/* What the real-mode test programs share: whether real runs can happen on
 * this machine, and skipping a case with the reason when they cannot. */
#ifndef RCSIM_TESTS_REAL_ENV_H
#define RCSIM_TESTS_REAL_ENV_H

#include <stdbool.h>

/* Why real runs cannot happen here (not root, no redis-server, no
 * iptables-restore, no network namespaces), or NULL when they can. */
const char *real_env_problem(void);

/* When `reason` is not NULL, marks the running case skipped with
 * "skipped: <reason>" and returns true; otherwise returns false. */
bool real_env_skip(const char *reason);

#endif
