/* A small harness for whole-cluster tests through the C API: an engine, a
 * network, an event bus and a cluster, plus a recorder of the event stream.
 * It is the cluster-harness library of tests/meson.build; its users (the
 * whole-cluster tests and bench/calibrate.c) link cluster_harness_dep, which
 * also brings this header's directory. */
#ifndef RCSIM_TEST_CLUSTER_HARNESS_H
#define RCSIM_TEST_CLUSTER_HARNESS_H

#include "rcsim/cluster.h"
#include "rcsim/engine.h"
#include "rcsim/events.h"
#include "rcsim/layout.h"
#include "rcsim/net.h"

#include <glib.h>

typedef struct {
    rc_event ev; /* str/str2/data are not kept */
    char str[48];
} recorded_event;

typedef struct {
    rc_engine *engine;
    rc_net *net;
    rc_eventbus *bus;
    rc_layout *layout;
    rc_cluster *cluster;
    GArray *events; /* recorded_event */
    GChecksum *digest;
} harness;

harness *harness_new(int masters, int replicas_each, int64_t node_timeout_ms, uint64_t seed);
void harness_free(harness *h);
void harness_run_until_s(harness *h, double seconds);
int harness_node(harness *h, const char *label);
/* First event of `kind` (optionally about `about`, by `node`, -1 = any) at or
 * after time `after_s`; returns its time in seconds or -1. */
double harness_first(harness *h, rc_event_kind kind, int node, int about, double after_s);
int harness_count(harness *h, rc_event_kind kind, int node, int about);
const char *harness_digest(harness *h);

#endif
