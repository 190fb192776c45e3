/* Parallel evaluation: worker processes forked from the search, each
 * given rule text over a socket and answering with a fitness. The job is
 * "text in, fitness out", so MPI ranks could serve it the same way. */
#ifndef SYMOPT_WORKER_H
#define SYMOPT_WORKER_H

#include <stdbool.h>
#include <stddef.h>

/* What a worker does. open runs in each worker after the fork (create the
 * JIT there: the parent never initializes LLVM); eval scores one rule's
 * text with a fitness in [0, 1] (0 for anything that fails or diverges);
 * close ends the worker. arg is shared read-only (a loaded data set). */
typedef struct EvoTask {
    const char *name; /* what fitness means, for logs and docs */
    void *(*open)(void *arg, char *err, size_t errlen);
    double (*eval)(void *ctx, const char *text);
    void (*close)(void *ctx);
    void *arg;
} EvoTask;

typedef struct EvoPool EvoPool;

/* Starts n worker processes (n = 0: evaluate in this process, for tests
 * and debugging). Waits for each worker's open; NULL with a message in
 * err if one fails. */
EvoPool *evo_pool_new(const EvoTask *t, int n, char *err, size_t errlen);

/* Seconds one evaluation may take before its worker is killed. */
void evo_pool_set_timeout(EvoPool *p, double seconds);

/* A check made at least every EVO_POLL_MS while jobs run. When it returns
 * true, the jobs still running are killed (their workers restarted) and
 * they and the jobs not yet started are left unscored. */
enum { EVO_POLL_MS = 200 };
void evo_pool_set_cancel(EvoPool *p, bool (*cancel)(void *ctx), void *ctx);

/* What became of a job, in crashed[] of evo_pool_eval. */
enum { EVO_JOB_OK, EVO_JOB_FAILED, EVO_JOB_CANCELLED };

/* Scores texts[0..n-1] into fit[] and secs[] (wall-clock seconds of each
 * evaluation). A worker that dies or times out is restarted and its job
 * scores 0 (EVO_JOB_FAILED); a cancelled job's fitness is NaN
 * (EVO_JOB_CANCELLED). crashed[i] (may be NULL) tells which. Returns the
 * number of failures; the results never depend on which worker ran a
 * job. */
int evo_pool_eval(EvoPool *p, const char *const *texts, int n, double *fit,
                  double *secs, int *crashed);

/* Stops the workers (closes their sockets and reaps them). */
void evo_pool_free(EvoPool *p);

#endif
