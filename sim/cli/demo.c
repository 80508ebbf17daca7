/* The built-in demo: the same 20-second partition on a 5-master and on a
 * 6-master cluster, so a newcomer sees the odd-vs-even lesson in one command.
 * The scenarios are compiled in; no files are needed. */

#include "cli.h"
#include "rcsim/run.h"
#include "rcsim/scenario.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const char odd_scn[] =
    "# Five masters split 2|3: the majority side (3 masters) fails over the two\n"
    "# masters it lost; the minority side goes down after about one node timeout.\n"
    "cluster masters=5 replicas=1 node-timeout=5000ms\n"
    "workload writers=1 rate=50/s side={M1 M2 R3 R4 R5} until=25s\n"
    "workload writers=1 rate=50/s side={M3 M4 M5 R1 R2} until=25s\n"
    "end 45s\n"
    "at 5s partition {M1 M2 R3 R4 R5} | rest\n"
    "at 25s heal\n"
    "expect promoted {R1 R2} by 25s\n"
    "expect converged by 45s after 25s\n"
    "expect lost > 0 by 45s\n";

static const char even_scn[] =
    "# Six masters split 3|3: no side has the 4 masters a failover needs, so\n"
    "# both sides go down and nobody fails over.\n"
    "cluster masters=6 replicas=1 node-timeout=5000ms\n"
    "workload writers=1 rate=50/s side={M1 M2 M3 R4 R5 R6} until=25s\n"
    "workload writers=1 rate=50/s side={M4 M5 M6 R1 R2 R3} until=25s\n"
    "end 45s\n"
    "at 5s partition {M1 M2 M3 R4 R5 R6} | rest\n"
    "at 25s heal\n"
    "never promotions > 0\n"
    "expect state all fail by 25s after 5s\n"
    "expect converged by 45s after 25s\n"
    "expect lost = 0 by 45s\n";

/* Seconds the nodes of one side spent with cluster_state fail (the most of
 * any node on that side). */
static double side_down(const rc_scenario *s, const rc_run_result *r, const char *const *side,
                        int n)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        int id = rc_layout_find(s->layout, side[i]);
        if (id >= 0 && r->state_fail_s[id] > worst)
            worst = r->state_fail_s[id];
    }
    return worst;
}

static int run_one(const char *name, const char *text, const char *out_root,
                   const char *const *side_a, int na, const char *const *side_b, int nb)
{
    GError *err = NULL;
    rc_scenario *s = rc_scenario_parse_string(name, text, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err->message);
        g_error_free(err);
        return 2;
    }
    char *base = g_strndup(name, strlen(name) - 4);
    char *out = g_build_filename(out_root, base, NULL);
    rc_run_options o = rc_run_options_default();
    o.out_dir = out;
    rc_run_result r;
    int code = 2;
    if (rc_run_scenario(s, &o, &r, &err)) {
        printf("%s: %d masters, partition 5s..25s, node-timeout 5 s\n", base, s->cluster.masters);
        if (r.promotions)
            printf("%s", r.story);
        else
            printf("  nobody failed over (no side had a majority of masters)\n");
        printf("  side A {%s...} was down %.1f s, side B was down %.1f s\n", side_a[0],
               side_down(s, &r, side_a, na), side_down(s, &r, side_b, nb));
        printf("  writes acknowledged: %llu, of which lost after the heal: %llu\n",
               (unsigned long long)r.writes_acked, (unsigned long long)r.writes_lost);
        printf("  split-brain (two writable owners of a slot): %.3f s\n", r.split_brain_s);
        printf("  pictures: %s/timeline.png, %s/slots.png\n", out, out);
        if (r.failures)
            fputs(r.failures, stderr);
        code = r.failed ? 1 : 0;
        rc_run_result_clear(&r);
    } else {
        fprintf(stderr, "rcsim: %s\n", err->message);
        g_error_free(err);
    }
    g_free(out);
    g_free(base);
    rc_scenario_free(s);
    return code;
}

int rc_demo_run(const char *out_root)
{
    static const char *const odd_a[] = { "M1", "M2", "R3", "R4", "R5" };
    static const char *const odd_b[] = { "M3", "M4", "M5", "R1", "R2" };
    static const char *const even_a[] = { "M1", "M2", "M3", "R4", "R5", "R6" };
    static const char *const even_b[] = { "M4", "M5", "M6", "R1", "R2", "R3" };
    printf("rcsim demo: one network partition, odd vs even number of masters\n\n");
    int a = run_one("odd-5-masters.scn", odd_scn, out_root, odd_a, 5, odd_b, 5);
    printf("\n");
    int b = run_one("even-6-masters.scn", even_scn, out_root, even_a, 6, even_b, 6);
    return a > b ? a : b;
}
