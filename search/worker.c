/* Worker processes over Unix socket pairs. Protocol, in host byte order:
 * the worker first sends a Hello; then for each job the parent sends a
 * uint32 length and that many bytes of rule text, and the worker answers
 * with a Reply. EOF on its socket tells a worker to finish. */
#include "search/worker.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_TEXT = 1 << 20 };

typedef struct Hello {
    int32_t ok;
    char msg[256];
} Hello;

typedef struct Reply {
    double fitness, seconds;
} Reply;

typedef struct Worker {
    pid_t pid; /* -1: dead and not restartable */
    int fd;
    int job; /* index in the current batch, -1 when idle */
    double started;
} Worker;

struct EvoPool {
    EvoTask task;
    int n;
    Worker *w;
    void *local; /* n == 0: the task's context in this process */
    double timeout;
    bool (*cancel)(void *ctx);
    void *cancel_ctx;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The worker's side; never returns. */
static _Noreturn void worker_main(const EvoTask *t, int fd)
{
    /* The search handles ^C and SIGTERM and then closes our socket. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGKILL);

    Hello h = {.ok = 1};
    void *ctx = t->open ? t->open(t->arg, h.msg, sizeof h.msg) : t->arg;
    if (t->open && !ctx)
        h.ok = 0;
    if (write_full(fd, &h, sizeof h) < 0 || !h.ok)
        _exit(1);

    char *text = NULL;
    for (;;) {
        uint32_t len;
        if (read_full(fd, &len, sizeof len) < 0 || len > MAX_TEXT)
            break;
        text = realloc(text, (size_t)len + 1);
        if (!text || read_full(fd, text, len) < 0)
            break;
        text[len] = '\0';

        double t0 = now();
        Reply r = {.fitness = t->eval(ctx, text)};
        r.seconds = now() - t0;
        if (write_full(fd, &r, sizeof r) < 0)
            break;
    }
    if (t->close)
        t->close(ctx);
    _exit(0);
}

/* Starts worker i; 0, or -1 with a message in err. */
static int spawn(EvoPool *p, int i, char *err, size_t errlen)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(err, errlen, "cannot create a worker socket: %s",
                 strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start a worker: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        /* Only our own socket: a worker holding another's would keep it
         * from seeing EOF when the search ends. */
        for (int j = 0; j < p->n; j++)
            if (p->w[j].fd >= 0)
                close(p->w[j].fd);
        close(sv[0]);
        worker_main(&p->task, sv[1]);
    }
    close(sv[1]);

    Hello h;
    if (read_full(sv[0], &h, sizeof h) < 0 || !h.ok) {
        h.msg[sizeof h.msg - 1] = '\0';
        snprintf(err, errlen, "a worker failed to start: %s",
                 h.ok ? "it exited" : h.msg);
        close(sv[0]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    p->w[i] = (Worker){.pid = pid, .fd = sv[0], .job = -1};
    return 0;
}

EvoPool *evo_pool_new(const EvoTask *t, int n, char *err, size_t errlen)
{
    EvoPool *p = calloc(1, sizeof *p);
    if (!p || !(p->w = calloc((size_t)n + 1, sizeof *p->w)))
        abort();
    p->task = *t;
    p->n = n;
    p->timeout = 300;
    for (int i = 0; i < n; i++)
        p->w[i] = (Worker){.pid = -1, .fd = -1, .job = -1};

    if (n == 0) {
        p->local = t->open ? t->open(t->arg, err, errlen) : t->arg;
        if (t->open && !p->local) {
            free(p->w);
            free(p);
            return NULL;
        }
        return p;
    }
    for (int i = 0; i < n; i++)
        if (spawn(p, i, err, errlen) < 0) {
            evo_pool_free(p);
            return NULL;
        }
    return p;
}

void evo_pool_set_timeout(EvoPool *p, double seconds)
{
    p->timeout = seconds;
}

/* Kills and reaps worker i, then starts a fresh one in its place. */
void evo_pool_set_cancel(EvoPool *p, bool (*cancel)(void *ctx), void *ctx)
{
    p->cancel = cancel;
    p->cancel_ctx = ctx;
}

static void restart(EvoPool *p, int i)
{
    Worker *w = &p->w[i];
    kill(w->pid, SIGKILL);
    close(w->fd);
    waitpid(w->pid, NULL, 0);
    *w = (Worker){.pid = -1, .fd = -1, .job = -1};

    char err[256];
    spawn(p, i, err, sizeof err);
}

static int send_job(Worker *w, const char *text, int job)
{
    uint32_t len = (uint32_t)strlen(text);
    if (write_full(w->fd, &len, sizeof len) < 0 ||
        write_full(w->fd, text, len) < 0)
        return -1;
    w->job = job;
    w->started = now();
    return 0;
}

static int eval_local(EvoPool *p, const char *const *texts, int n, double *fit,
                      double *secs)
{
    for (int i = 0; i < n; i++) {
        if (p->cancel && p->cancel(p->cancel_ctx)) {
            fit[i] = NAN;
            secs[i] = 0;
            continue;
        }
        double t0 = now();
        fit[i] = p->task.eval(p->local, texts[i]);
        secs[i] = now() - t0;
    }
    return 0;
}

/* A failed job: score 0. */
static void fail(EvoPool *p, int i, double *fit, double *secs, int *crashed)
{
    int job = p->w[i].job;
    fit[job] = 0;
    secs[job] = now() - p->w[i].started;
    if (crashed)
        crashed[job] = EVO_JOB_FAILED;
    restart(p, i);
}

/* Leaves the running jobs and those from `next` on unscored. */
static void cancel_all(EvoPool *p, int next, int n, double *fit, double *secs,
                       int *crashed)
{
    for (int i = 0; i < p->n; i++) {
        int job = p->w[i].job;
        if (p->w[i].pid < 0 || job < 0)
            continue;
        fit[job] = NAN;
        secs[job] = now() - p->w[i].started;
        if (crashed)
            crashed[job] = EVO_JOB_CANCELLED;
        restart(p, i);
    }
    for (; next < n; next++) {
        fit[next] = NAN;
        secs[next] = 0;
        if (crashed)
            crashed[next] = EVO_JOB_CANCELLED;
    }
}

int evo_pool_eval(EvoPool *p, const char *const *texts, int n, double *fit,
                  double *secs, int *crashed)
{
    if (crashed)
        memset(crashed, 0, sizeof *crashed * (size_t)n);
    if (p->n == 0) {
        int rc = eval_local(p, texts, n, fit, secs);
        for (int i = 0; crashed && i < n; i++)
            crashed[i] = isnan(fit[i]) ? EVO_JOB_CANCELLED : EVO_JOB_OK;
        return rc;
    }

    int next = 0, done = 0, failures = 0;
    struct pollfd *pfd = calloc((size_t)p->n, sizeof *pfd);
    int *who = calloc((size_t)p->n, sizeof *who);
    while (done < n) {
        /* Hand out jobs to idle workers. */
        for (int i = 0; i < p->n && next < n; i++) {
            Worker *w = &p->w[i];
            if (w->pid < 0 || w->job >= 0)
                continue;
            if (send_job(w, texts[next], next) < 0) {
                w->job = next;
                w->started = now();
                fail(p, i, fit, secs, crashed);
                failures++;
                done++;
            }
            next++;
        }

        int np = 0;
        double wait = p->timeout;
        for (int i = 0; i < p->n; i++)
            if (p->w[i].pid >= 0 && p->w[i].job >= 0) {
                pfd[np] = (struct pollfd){.fd = p->w[i].fd, .events = POLLIN};
                who[np++] = i;
                double left = p->w[i].started + p->timeout - now();
                wait = left < wait ? left : wait;
            }
        if (np == 0) {
            /* No worker could be restarted: the rest score 0. */
            for (; next < n; next++, done++, failures++) {
                fit[next] = 0;
                secs[next] = 0;
                if (crashed)
                    crashed[next] = EVO_JOB_FAILED;
            }
            break;
        }

        int ms = wait > 0 ? (int)(wait * 1000) + 1 : 0;
        int k = poll(pfd, (nfds_t)np, ms < EVO_POLL_MS ? ms : EVO_POLL_MS);
        if (k < 0 && errno != EINTR) {
            /* Cannot wait for the workers: leave the rest unscored. */
            cancel_all(p, next, n, fit, secs, crashed);
            break;
        }
        for (int j = 0; j < np; j++) {
            int i = who[j];
            Worker *w = &p->w[i];
            if (k > 0 && pfd[j].revents) {
                Reply r;
                if (read_full(w->fd, &r, sizeof r) < 0) {
                    fail(p, i, fit, secs, crashed);
                    failures++;
                } else {
                    fit[w->job] = r.fitness;
                    secs[w->job] = r.seconds;
                    w->job = -1;
                }
                done++;
            } else if (now() - w->started > p->timeout) {
                fail(p, i, fit, secs, crashed);
                failures++;
                done++;
            }
        }
        if (done < n && p->cancel && p->cancel(p->cancel_ctx)) {
            cancel_all(p, next, n, fit, secs, crashed);
            break;
        }
    }
    free(pfd);
    free(who);
    return failures;
}

void evo_pool_free(EvoPool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++) {
        if (p->w[i].pid < 0)
            continue;
        close(p->w[i].fd);
        waitpid(p->w[i].pid, NULL, 0);
    }
    if (p->n == 0 && p->task.close && p->local)
        p->task.close(p->local);
    free(p->w);
    free(p);
}
