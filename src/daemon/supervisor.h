/* SPDX-License-Identifier: MIT */
/*
 * Supervision of one VMM process per running VM: starting it in its own
 * session, talking to its control socket, noticing its end (waitpid for
 * our children, a pidfd for VMMs re-attached after a daemon restart),
 * on_crash, and CPU/memory sampling.
 *
 * One thread runs the loop: it polls the pidfds of all VMMs, checks VMMs
 * that are starting for their control socket, and samples every 2 s.  API
 * threads call the sup_* entry points; everything shared is under
 * sup->lock, which is never held across socket I/O to a VMM.
 */
#ifndef XKVM_DAEMON_SUPERVISOR_H
#define XKVM_DAEMON_SUPERVISOR_H

#include "daemon/store.h"
#include "daemon/vm_object.h"
#include "toolstack/config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STATS_SAMPLES	 150
#define STATS_INTERVAL_S 2
/*
 * How often each running VMM is asked for its status: what it reports
 * (paused, PV drivers connected) reaches the API this late at most, so a
 * PVHVM guest's switch shows in the web UI within two seconds.
 */
#define STATUS_INTERVAL_MS 500
/* How long a new VMM has to answer on control.sock. */
#define START_TIMEOUT_S 60
/* A clean shutdown waited for with ?sync=true. */
#define SHUTDOWN_TIMEOUT_S 120

enum vm_run_state { RUN_HALTED, RUN_STARTING, RUN_RUNNING, RUN_PAUSED };

struct vm_sample {
	float cpu; /* percent of one CPU over the interval */
	uint64_t rss;
};

struct vm_rt {
	struct vm_rt *next;
	char uuid[UUID_LEN + 1];
	struct domain_config cfg; /* parsed from the stored text */
	bool has_cfg;
	enum vm_run_state state;
	unsigned gen; /* bumped at every start, so stale answers are dropped */
	pid_t pid;
	uint64_t starttime; /* /proc/PID/stat field 22, against pid reuse */
	int pidfd;
	bool is_child; /* ours to reap; else re-attached after a restart */
	int64_t domid;
	long long start_ms; /* monotonic, for the start timeout and crash loops */
	bool stop_requested;
	bool start_timed_out;
	unsigned quick_crashes;
	/* Last status from the VMM. */
	bool pv_drivers;
	char pv_driver_version[48]; /* "" while the guest said nothing */
	unsigned vcpus;
	uint64_t memory_mib;
	/* Why the last start failed, and the VMM's exit status then. */
	char start_error[1024];
	int start_exit_code;
	/* Samples, a ring. */
	struct vm_sample ring[STATS_SAMPLES];
	unsigned ring_head, ring_count;
	uint64_t prev_ticks;
	long long prev_sample_ms;
	double cpu_seconds;
};

struct supervisor {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast on every state change */
	struct store *store;
	char *state_dir, *run_dir, *vmm_path;
	const char *vmm_user; /* the VMMs' --user; NULL: their default */
	struct vm_rt *vms;
	int wake_fd;
	bool stopping;
	bool thread_started;
	pthread_t thread;
	long clk_tck;
};

enum vm_action {
	ACT_START,
	ACT_CLEAN_SHUTDOWN,
	ACT_CLEAN_REBOOT,
	ACT_HARD_SHUTDOWN,
	ACT_HARD_REBOOT,
	ACT_PAUSE,
	ACT_UNPAUSE,
};

/* XO's action names.  Returns 0, or -EINVAL. */
int vm_action_parse(const char *name, enum vm_action *out);

int sup_init(struct supervisor *sup, struct store *st, const char *state_dir, const char *run_dir,
	     const char *vmm_path);
/*
 * Load the VMs, re-attach to VMMs still running, record those that ended
 * while the daemon was away, and when this is the first start since the
 * host booted, start the VMs with auto_poweron.
 */
int sup_recover(struct supervisor *sup, bool first_since_boot);
int sup_run(struct supervisor *sup);
/* The daemon stops: waiting requests give up now. */
void sup_begin_stop(struct supervisor *sup);
/* Stop the loop and free; VMMs keep running. */
void sup_fini(struct supervisor *sup);

void sup_lock(struct supervisor *sup);
void sup_unlock(struct supervisor *sup);
/* With the lock held. */
struct vm_rt *sup_vm(struct supervisor *sup, const char *uuid);
/* With the lock held: NULL for a halted VM, else live filled in. */
const struct vm_live *sup_live(const struct vm_rt *vm, struct vm_live *live);
unsigned sup_running_count(struct supervisor *sup);
/* With the lock held: a VM just stored; parses its config. */
int sup_add(struct supervisor *sup, const struct vm_row *row);
/* With the lock held: a halted VM being deleted; removes its files. */
void sup_remove(struct supervisor *sup, const char *uuid);

/* <state>/vms/<uuid>.cfg, written atomically. */
int sup_write_cfg(struct supervisor *sup, const char *uuid, const char *text);
int sup_cfg_path(const struct supervisor *sup, const char *uuid, char *out, size_t len);
/* <run>/vms/<uuid>/<name> */
int sup_vm_path(const struct supervisor *sup, const char *uuid, const char *name, char *out,
		size_t len);

/*
 * Perform an action (without the lock).  Returns 0 with the end state,
 * -ENOENT (no such VM), -EBUSY (the state does not allow it), -ETIMEDOUT
 * (sync wait expired), -EINVAL (the VMM refused the config), or another
 * -errno; err says why.
 */
int sup_action(struct supervisor *sup, const char *uuid, enum vm_action action, bool sync,
	       enum power_state *end, char *err, size_t errlen);

/* {"interval":2,"cpu":[...],"memory":[...]}, with the lock held. */
json_t *sup_stats(const struct vm_rt *vm);

/* Helpers, exposed for tests. */
int vmm_exit_parse(const char *text, int *code, const char **reason);

#endif
