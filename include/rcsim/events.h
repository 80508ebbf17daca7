/* rcsim — the one stream of observable events.
 *
 * Everything the cluster layer, the network faults and the scenario runner
 * decide is emitted once, as a typed rc_event, at the simulated instant it
 * happens. Every output (events.jsonl, summary.json, expectations, timeline
 * and slot charts, trace.json, Redis-format logs) is an observer of this
 * stream; none of them reads node internals.
 *
 * Node references are layout ids (see rcsim/layout.h); -1 means "none/null".
 * The meaning of the generic fields per kind is listed below; the JSON names
 * are those of docs/outputs.md.
 *
 *  kind               node      about           i1          i2         i3      flag     str / str2 / data
 *  FAULT              -1        -1              line        -          -       -        action / statement text / rc_fault_info*
 *  NOTE               -1        -1              line        -          -       -        text
 *  MF_PAUSE           master    replica         until (us)  -          -       -        -
 *  MF_END             master    replica         -           -          -       -        why (done|timeout|aborted)
 *  PFAIL, PFAIL_CLEAR observer  subject         -           -          -       -        -
 *  FAIL               observer  subject         reports     -          -       -        via (quorum|message)
 *  FAIL_CLEAR         observer  subject         -           -          -       -        reason
 *  STATE              node      -               -           -          -       ok?      -
 *  ELECTION_DELAY     replica   -               delay_ms    rank       offset  -        -
 *  ELECTION           replica   -               epoch       -          -       -        -
 *  VOTE               voter     candidate       epoch       -          -       granted  reason (denied)
 *  CANT_FAILOVER      replica   -               -           -          -       -        reason
 *  PROMOTED           node      replaced master config_ep   slots      -       manual   -
 *  ROLE               node      master or -1    -           -          -       master?  why
 *  OWNER              observer  owner or -1     config ep   -          -       -        data = rc_slot_list*
 *  EPOCH              node      -               current     config     -       -        -
 *  EXPECT             -1        -1              line        at (us|-1) -       ok       statement text
 *  END                -1        -1              events      messages   -       -        -
 *  LOG                node      -               level char  -          -       master?  text (Redis log line body)
 *  WRITE              client    node            slot        t_sent     t_done  acked    status (see workload)
 *  VIEW               observer  subject         -           -          -       -        -
 *
 * VIEW says that an observer's view of another node's role, master or config
 * epoch changed silently (no other event carries it). It exists so that
 * observers such as the `converged` predicate re-evaluate; like LOG and WRITE
 * it is not written to events.jsonl.
 */
#ifndef RCSIM_EVENTS_H
#define RCSIM_EVENTS_H

#include "rcsim/engine.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RC_EV_FAULT,
    RC_EV_NOTE,
    RC_EV_MF_PAUSE,
    RC_EV_MF_END,
    RC_EV_PFAIL,
    RC_EV_PFAIL_CLEAR,
    RC_EV_FAIL,
    RC_EV_FAIL_CLEAR,
    RC_EV_STATE,
    RC_EV_ELECTION_DELAY,
    RC_EV_ELECTION,
    RC_EV_VOTE,
    RC_EV_CANT_FAILOVER,
    RC_EV_PROMOTED,
    RC_EV_ROLE,
    RC_EV_OWNER,
    RC_EV_EPOCH,
    RC_EV_EXPECT,
    RC_EV_END,
    RC_EV_LOG,
    RC_EV_WRITE,
    RC_EV_VIEW,
    RC_EV__COUNT
} rc_event_kind;

/* The JSON name of a kind ("pfail", "fail_clear", ...). */
const char *rc_event_kind_name(rc_event_kind kind);

/* Cluster bus message types, by their type id on the wire; their names are
 * CLUSTER INFO's stats names: ping pong meet fail publish auth-req auth-ack
 * update mfstart module publishshard. Events and the scenario language's
 * drop-packets action name messages this way. */
#define RC_MSG_TYPES 11

/* The name of message type `type`, or "unknown" outside 0..RC_MSG_TYPES-1. */
const char *rc_msg_type_name(int type);

/* A sorted list of slots (for OWNER events). */
typedef struct {
    int count;
    const uint16_t *slots;
} rc_slot_list;

/* Details of a FAULT event: every node involved, and for partition / cut /
 * heal-between-sets the groups (cut: groups[0] = from, groups[1] = to). */
typedef struct {
    int node_count;
    const int *nodes;
    int group_count;
    const int *group_sizes;   /* group_count entries */
    const int *const *groups; /* group_count arrays of node ids */
    const char *option;       /* failover: default|force|takeover; else NULL */
} rc_fault_info;

typedef struct {
    rc_time t;
    rc_event_kind kind;
    int node;
    int about;
    int64_t i1, i2, i3;
    bool flag;
    const char *str;
    const char *str2;
    const void *data;
} rc_event;

typedef void (*rc_observer_fn)(void *user, const rc_event *ev);

typedef struct rc_eventbus rc_eventbus;

rc_eventbus *rc_eventbus_new(void);
void rc_eventbus_free(rc_eventbus *bus);
/* Observers are called in subscription order. */
void rc_eventbus_subscribe(rc_eventbus *bus, rc_observer_fn fn, void *user);
void rc_eventbus_emit(rc_eventbus *bus, const rc_event *ev);
/* Number of events emitted so far (LOG, WRITE and VIEW excluded: they are not
 * protocol events of events.jsonl). */
uint64_t rc_eventbus_count(const rc_eventbus *bus);

/* Makes the bus hold back what lane events of `engine` emit (in windows,
 * rcsim/engine.h) until rc_eventbus_flush(), which hands them to the
 * observers in (time, order of the emitting event, emission) order: the
 * order one lane would have emitted them in, whatever the lanes. The held
 * events' strings and slot lists are copied. */
void rc_eventbus_hold_lanes(rc_eventbus *bus, const rc_engine *engine);
void rc_eventbus_flush(rc_eventbus *bus);

#ifdef __cplusplus
}
#endif
#endif
