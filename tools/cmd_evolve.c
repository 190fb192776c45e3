/* `symopt evolve`: option checking, the output directory, the data set
 * and the proxy task, signals and progress; the search itself lives in
 * search/evolve.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler/sema.h"
#include "grammar/parse.h"
#include "runtime/dataset.h"
#include "search/evolve.h"
#include "search/proxy.h"
#include "tools/cli.h"
#include "tools/cmds.h"

#define VAL_IMAGES 5000
#define DEFAULT_SECONDS 180

enum { MAX_WARM = 64 };

static const char usage_text[] =
    "usage: symopt evolve [options]\n"
    "\n"
    "Searches for optimizer rules by regularized evolution (Chen et al.,\n"
    "2023): fitness is the validation accuracy of a small MLP trained on\n"
    "Fashion-MNIST with the rule. Writes best.opt, rank-01.opt ...,\n"
    "log.jsonl and summary.json into the output directory.\n"
    "\n"
    "options:\n"
    "  --warm FILE...     start from these rules (default: the paper's\n"
    "                     AdamW program, examples/paper_adamw.opt)\n"
    "  --population P     population size, P >= 2 (default 64)\n"
    "  --tournament T     tournament size, 1 <= T <= P (default 8)\n"
    "  --budget N         children to evaluate after the initial\n"
    "                     population, N >= 1\n"
    "  --time SECONDS     wall-clock limit of the search (default 180\n"
    "                     without --budget)\n"
    "  --seed S           seed of the search and of training (default 0)\n"
    "  --out DIR          output directory, new or empty (default\n"
    "                     evolve-YYYYmmdd-HHMMSS)\n"
    "  --workers N        worker processes (default: number of CPUs)\n"
    "  --top K            rank files to write (default 10)\n"
    "  --eval-timeout S   seconds one candidate may train before it scores\n"
    "                     0 (default 30)\n"
    "  --data DIR         Fashion-MNIST IDX files (default " DATASET_DEFAULT_DIR
    ")\n"
    "  --json             print one JSON summary on stdout at the end\n"
    "\n"
    "The search ends at --budget, --time or ^C (or SIGTERM), at once:\n"
    "candidates still in training are dropped. Then the best rule is\n"
    "simplified, for a tenth of --time and 30 s at most (3 s after ^C; a\n"
    "second ^C ends it), and the results are written.\n";

typedef struct EvolveArgs {
    EvoConfig cfg;
    const char *warm[MAX_WARM];
    int nwarm;
    const char *data;
    const char *out;
    bool json, have_budget, have_time;
    bool made_out;    /* evolve created the output directory */
    char claim[4200]; /* the claim file in it, while the run lasts */
} EvolveArgs;

static volatile sig_atomic_t stop_flag, abort_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag)
        abort_flag = 1;
    stop_flag = 1;
}

static int parse_number(const char *opt, const char *val, long lo, long hi,
                        long *out)
{
    return val ? cli_long(opt, val, lo, hi, out) : -1;
}

static int parse_option(EvolveArgs *a, int argc, char **argv, int *i)
{
    const char *o = argv[*i];
    long v;
    if (!strcmp(o, "--warm")) {
        if (*i + 1 >= argc || argv[*i + 1][0] == '-') {
            fprintf(stderr, "symopt: option --warm needs at least one file\n");
            return -1;
        }
        while (*i + 1 < argc && argv[*i + 1][0] != '-') {
            if (a->nwarm == MAX_WARM) {
                fprintf(stderr, "symopt: option --warm: at most %d files\n",
                        MAX_WARM);
                return -1;
            }
            a->warm[a->nwarm++] = argv[++*i];
        }
        return 0;
    }
    if (!strcmp(o, "--population")) {
        if (parse_number(o, cli_value(argc, argv, i), 2, 100000, &v) < 0)
            return -1;
        a->cfg.population = (int)v;
        return 0;
    }
    if (!strcmp(o, "--tournament")) {
        if (parse_number(o, cli_value(argc, argv, i), 1, 100000, &v) < 0)
            return -1;
        a->cfg.tournament = (int)v;
        return 0;
    }
    if (!strcmp(o, "--budget")) {
        if (parse_number(o, cli_value(argc, argv, i), 1, 1000000000, &v) < 0)
            return -1;
        a->cfg.budget = v;
        a->have_budget = true;
        return 0;
    }
    if (!strcmp(o, "--workers")) {
        if (parse_number(o, cli_value(argc, argv, i), 1, 256, &v) < 0)
            return -1;
        a->cfg.workers = (int)v;
        return 0;
    }
    if (!strcmp(o, "--top")) {
        if (parse_number(o, cli_value(argc, argv, i), 1, 99, &v) < 0)
            return -1;
        a->cfg.topk = (int)v;
        return 0;
    }
    if (!strcmp(o, "--time")) {
        const char *val = cli_value(argc, argv, i);
        if (!val || cli_double(o, val, 1e-3, 1e7, &a->cfg.seconds) < 0)
            return -1;
        a->have_time = true;
        return 0;
    }
    if (!strcmp(o, "--eval-timeout")) {
        const char *val = cli_value(argc, argv, i);
        return val ? cli_double(o, val, 0.1, 1e6, &a->cfg.eval_timeout) : -1;
    }
    if (!strcmp(o, "--seed")) {
        const char *val = cli_value(argc, argv, i);
        return val ? cli_u64(o, val, &a->cfg.seed) : -1;
    }
    if (!strcmp(o, "--out"))
        return (a->out = cli_value(argc, argv, i)) ? 0 : -1;
    if (!strcmp(o, "--data"))
        return (a->data = cli_value(argc, argv, i)) ? 0 : -1;
    if (!strcmp(o, "--json")) {
        a->json = true;
        return 0;
    }
    fprintf(stderr,
            "symopt: evolve: unknown option '%s' (see symopt evolve "
            "--help)\n",
            o);
    return -1;
}

static int parse_args(EvolveArgs *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (parse_option(a, argc, argv, &i) < 0)
            return -1;

    if (a->have_budget && a->have_time) {
        fputs("symopt: options --budget and --time exclude each other\n",
              stderr);
        return -1;
    }
    if (a->cfg.tournament > a->cfg.population) {
        fprintf(stderr,
                "symopt: option --tournament: %d is larger than the "
                "population (%d)\n",
                a->cfg.tournament, a->cfg.population);
        return -1;
    }
    if (a->nwarm > a->cfg.population) {
        fprintf(stderr,
                "symopt: option --warm: %d rules do not fit in a population "
                "of %d; raise --population or name fewer rules\n",
                a->nwarm, a->cfg.population);
        return -1;
    }
    if (!a->have_budget && !a->have_time)
        a->cfg.seconds = DEFAULT_SECONDS;
    if (a->have_budget)
        a->cfg.seconds = 0;
    return 0;
}

/* mkdir -p; 0 or -1 with errno. */
static int make_dirs(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

static bool dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

/* Makes sure the output directory is new or empty and writable before
 * any work; never touches an earlier run's files. */
static int prepare_out(EvolveArgs *a, char *buf, size_t n)
{
    if (!a->out) {
        time_t t = time(NULL);
        char stamp[32];
        strftime(stamp, sizeof stamp, "evolve-%Y%m%d-%H%M%S", localtime(&t));
        snprintf(buf, n, "%s", stamp);
        for (int k = 2; access(buf, F_OK) == 0; k++)
            snprintf(buf, n, "%s-%d", stamp, k);
    } else {
        snprintf(buf, n, "%s", a->out);
    }

    struct stat st;
    if (stat(buf, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr,
                    "symopt: option --out: '%s' exists and is not a "
                    "directory\n",
                    buf);
            return -1;
        }
        if (!dir_empty(buf)) {
            fprintf(stderr,
                    "symopt: option --out: '%s' is not empty (it "
                    "may hold an earlier run, which evolve never "
                    "overwrites); name a new or empty directory\n",
                    buf);
            return -1;
        }
    } else if (make_dirs(buf) < 0) {
        fprintf(stderr, "symopt: option --out: cannot create '%s': %s\n", buf,
                strerror(errno));
        return -1;
    } else {
        a->made_out = true;
    }

    /* Claims the directory: of two runs started into it at once, the
     * second finds the claim and stops. The claim stays for the run. */
    snprintf(a->claim, sizeof a->claim, "%s/.symopt-evolve-running", buf);
    int fd = open(a->claim, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        fprintf(stderr, "symopt: option --out: %s '%s': %s\n",
                errno == EEXIST ? "another evolve is writing into"
                                : "cannot write into",
                buf,
                errno == EEXIST ? "name another directory" : strerror(errno));
        a->claim[0] = '\0';
        if (a->made_out)
            rmdir(buf);
        return -1;
    }
    close(fd);
    a->cfg.out_dir = buf;
    return 0;
}

static int load_warm(EvolveArgs *a, Arena *arena, Rule **rules,
                     const char **origin)
{
    if (a->nwarm == 0) {
        Rule *r =
            parse_checked(arena, evo_default_warm_path, evo_default_warm_text,
                          strlen(evo_default_warm_text), stderr, NULL);
        if (!r)
            return -1;
        rules[0] = r;
        origin[0] = evo_default_warm_path;
        return 1;
    }
    for (int i = 0; i < a->nwarm; i++) {
        if (!(rules[i] = cli_load_rule(arena, a->warm[i])))
            return -1;
        origin[i] = a->warm[i];
    }
    return a->nwarm;
}

typedef struct ProgressState {
    bool tty;
    double last;
} ProgressState;

static void show_progress(void *ctx, const EvoProgress *p)
{
    ProgressState *ps = ctx;
    if (!ps->tty && !p->final && p->seconds - ps->last < 10)
        return;
    ps->last = p->seconds;
    fprintf(stderr,
            "%s%ld evaluated, %ld trained, %ld cache hits (%.0f%%), best "
            "%.4f, %.1f children/s, %.0f s%s",
            ps->tty ? "\r\033[K" : "", p->evaluated, p->trained, p->cache_hits,
            p->evaluated ? 100.0 * (double)p->cache_hits / (double)p->evaluated
                         : 0.0,
            p->best, p->seconds > 0 ? (double)p->evaluated / p->seconds : 0.0,
            p->seconds, ps->tty && !p->final ? "" : "\n");
}

static void print_json(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    Source s;
    if (source_read_file(&s, path) < 0)
        return;
    fputs(s.text, stdout);
    source_free(&s);
}

static int run(EvolveArgs *a, Rule **rules, const char **origin, int nwarm)
{
    char err[512];
    Dataset ds;
    if (dataset_load(&ds, a->data, VAL_IMAGES, err, sizeof err) < 0) {
        fprintf(stderr, "symopt: evolve: %s\n", err);
        return 1;
    }
    EvoProxy proxy;
    EvoTask task;
    evo_proxy_task(&proxy, &ds, a->cfg.seed, &task);
    a->cfg.proxy = proxy.desc;
    a->cfg.stop = &stop_flag;
    a->cfg.abort_now = &abort_flag;

    ProgressState ps = {.tty = cli_tty()};
    a->cfg.progress = show_progress;
    a->cfg.progress_ctx = &ps;
    a->cfg.log = stderr;

    EvoResult res;
    int rc =
        evo_run(&a->cfg, &task, rules, origin, nwarm, &res, err, sizeof err);
    dataset_free(&ds);
    if (rc < 0) {
        fprintf(stderr, "symopt: evolve: %s\n", err);
        return 1;
    }
    fprintf(stderr,
            "symopt evolve: best fitness %.4f (%.4f before simplification), "
            "%ld evaluated, %ld cache hits (%.0f%%), stopped by %s\n",
            res.best_fitness, res.best_fitness_unsimplified, res.evaluated,
            res.cache_hits,
            res.evaluated
                ? 100.0 * (double)res.cache_hits / (double)res.evaluated
                : 0.0,
            res.stopped_by ? res.stopped_by : "end");
    if (res.best_id >= 0)
        fprintf(stderr, "symopt evolve: results in %s (best: %s/best.opt)\n",
                a->cfg.out_dir, a->cfg.out_dir);
    else
        fprintf(stderr,
                "symopt evolve: no rule was evaluated before the "
                "stop; %s holds only the log and summary.json\n",
                a->cfg.out_dir);
    if (a->json)
        print_json(a->cfg.out_dir);
    return 0;
}

int cmd_evolve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }

    EvolveArgs a = {.cfg = evo_default_config()};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    a.cfg.workers = ncpu > 0 ? (int)(ncpu < 256 ? ncpu : 256) : 1;
    if (parse_args(&a, argc, argv) < 0)
        return 2;

    Arena arena;
    arena_init(&arena);
    Rule *rules[MAX_WARM];
    const char *origin[MAX_WARM];
    int nwarm = load_warm(&a, &arena, rules, origin);
    if (nwarm < 0) {
        arena_free(&arena);
        return 1;
    }

    /* From here on a signal stops the search instead of killing it. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char out[4096];
    if (prepare_out(&a, out, sizeof out) < 0) {
        arena_free(&arena);
        return 2;
    }
    fprintf(stderr, "symopt evolve: writing results to %s\n", out);
    int rc = run(&a, rules, origin, nwarm);
    unlink(a.claim);
    if (rc != 0 && a.made_out && rmdir(out) == 0)
        fprintf(stderr, "symopt evolve: removed the empty %s\n", out);
    arena_free(&arena);
    return rc;
}
