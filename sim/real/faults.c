/* Real mode's network faults: DROP rules of iptables inside the run's own
 * namespace. A cut from a to b drops every packet from a's address to b's
 * (bus and replication alike, since every node sends from its own address);
 * client traffic comes from 127.0.0.1 and is never matched. The whole filter
 * table is replaced at once (iptables-restore) after every change. */
#include "real_int.h"

#include <string.h>

struct rl_faults {
    int n;
    bool *cut;     /* n*n: cut[a*n+b] drops a -> b */
    double *loss;  /* per node */
};

/* No cut and no loss between n nodes. */
rl_faults *rl_faults_new(int n)
{
    rl_faults *f = g_new0(rl_faults, 1);
    f->n = n;
    f->cut = g_new0(bool, (size_t)n * (size_t)n);
    f->loss = g_new0(double, n);
    return f;
}

/* Frees the rule set (the installed rules stay until the namespace goes). */
void rl_faults_free(rl_faults *f)
{
    if (!f)
        return;
    g_free(f->cut);
    g_free(f->loss);
    g_free(f);
}

/* A node is never cut from itself. */
void rl_faults_set_cut(rl_faults *f, int a, int b, bool cut)
{
    if (a != b)
        f->cut[(size_t)a * (size_t)f->n + (size_t)b] = cut;
}

/* Loss settings stay. */
void rl_faults_clear_cuts(rl_faults *f)
{
    memset(f->cut, 0, sizeof(bool) * (size_t)f->n * (size_t)f->n);
}

/* p = 0 removes the node's loss rule. */
void rl_faults_set_loss(rl_faults *f, int a, double p)
{
    f->loss[a] = p;
}

/* One iptables-restore of the whole filter table: cuts first, then loss. */
bool rl_faults_apply(rl_faults *f, const rl_run *r, GError **error)
{
    GString *t = g_string_new("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                              ":OUTPUT ACCEPT [0:0]\n");
    for (int a = 0; a < f->n; a++)
        for (int b = 0; b < f->n; b++)
            if (f->cut[(size_t)a * (size_t)f->n + (size_t)b])
                g_string_append_printf(t, "-A OUTPUT -s %s -d %s -j DROP\n", r->nodes[a].addr,
                                       r->nodes[b].addr);
    for (int a = 0; a < f->n; a++) {
        if (f->loss[a] <= 0)
            continue;
        /* Messages sent by the node to other nodes (scenario-language.md:
         * `loss` changes the links of the messages those nodes send). */
        g_string_append_printf(t,
                               "-A OUTPUT -s %s ! -d 127.0.0.1 -m statistic --mode random "
                               "--probability %.6f -j DROP\n",
                               r->nodes[a].addr, f->loss[a]);
    }
    g_string_append(t, "COMMIT\n");
    const char *argv[] = { "iptables-restore", NULL };
    bool ok = rl_run_tool(argv, t->str, error);
    g_string_free(t, TRUE);
    return ok;
}
