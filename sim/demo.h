/* The built-in demo of `rcsim` without arguments. */
#ifndef RCSIM_DEMO_H
#define RCSIM_DEMO_H

/* Runs the embedded odd-vs-even demo, writes its outputs under `out_root`,
 * prints what happened, and returns the exit status. */
int rc_demo_run(const char *out_root);

#endif
