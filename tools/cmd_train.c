/* `symopt train`: JIT-compiles a rule and trains an MLP on Fashion-MNIST
 * with it, then reports validation and test accuracy and loss, as text or
 * as one JSON object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/jit.h"
#include "runtime/train.h"
#include "tools/cli.h"
#include "tools/cmds.h"

#define VAL_IMAGES 5000

static const char usage_text[] =
    "usage: symopt train RULE.opt [options]\n"
    "\n"
    "Trains a 784-H-10 MLP on Fashion-MNIST with the rule and prints its\n"
    "validation accuracy (last 5,000 training images) and test accuracy.\n"
    "\n"
    "options:\n"
    "  --steps N            training steps (default 1000)\n"
    "  --batch B            minibatch size (default 128)\n"
    "  --hidden H[,H...]    hidden layer sizes (default 256)\n"
    "  --seed S             seed of init and minibatch order (default 0)\n"
    "  --schedule NAME      constant or cosine (default cosine)\n"
    "  -D name=value        override a hyperparameter of the rule\n"
    "  --data DIR           Fashion-MNIST IDX files "
    "(default " DATASET_DEFAULT_DIR ")\n"
    "  --json               print one JSON object instead of text\n";

typedef struct TrainArgs {
    const char *path;
    const char *data;
    bool json;
    CliDefines defs;
    TrainConfig cfg;
} TrainArgs;

/* "256" or "256,128": at most MLP_MAX_HIDDEN sizes. */
static int parse_hidden(const char *val, TrainConfig *c)
{
    char buf[256], *save = NULL;
    int n = 0;

    /* strtok_r would skip empty sizes: ",16" and "16,,16" are errors. */
    if (strlen(val) >= sizeof buf || !*val || val[0] == ',' ||
        val[strlen(val) - 1] == ',' || strstr(val, ",,")) {
        fprintf(stderr,
                "symopt: option --hidden: '%s' is not a list of "
                "sizes like 256 or 256,128\n",
                val);
        return -1;
    }
    strcpy(buf, val);
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        long v;
        if (n == MLP_MAX_HIDDEN) {
            fprintf(stderr,
                    "symopt: option --hidden: at most %d hidden "
                    "layers\n",
                    MLP_MAX_HIDDEN);
            return -1;
        }
        if (cli_long("--hidden", tok, 1, 65536, &v) < 0)
            return -1;
        c->hidden[n++] = (int)v;
    }
    c->nhidden = n;
    return 0;
}

/* 0 to run, 1 after --help, -1 on a bad option (already reported). */
static int parse_args(int argc, char **argv, TrainArgs *a)
{
    memset(a, 0, sizeof *a);
    a->cfg = train_default_config();
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v;
        long n;

        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (!strcmp(o, "--json")) {
            a->json = true;
            continue;
        }
        if (o[0] != '-' || !o[1]) {
            if (a->path) {
                fprintf(stderr,
                        "symopt train: one rule file only ('%s' "
                        "and '%s')\n",
                        a->path, o);
                return -1;
            }
            a->path = o;
            continue;
        }
        if (strcmp(o, "--steps") && strcmp(o, "--batch") &&
            strcmp(o, "--hidden") && strcmp(o, "--seed") &&
            strcmp(o, "--schedule") && strcmp(o, "-D") && strcmp(o, "--data")) {
            fprintf(stderr,
                    "symopt train: unknown option '%s' (see "
                    "'symopt train --help')\n",
                    o);
            return -1;
        }
        if (!(v = cli_value(argc, argv, &i)))
            return -1;
        if (!strcmp(o, "--steps")) {
            if (cli_long(o, v, 1, 100000000, &n) < 0)
                return -1;
            a->cfg.steps = (int)n;
        } else if (!strcmp(o, "--batch")) {
            if (cli_long(o, v, 1, 65536, &n) < 0)
                return -1;
            a->cfg.batch = (int)n;
        } else if (!strcmp(o, "--hidden")) {
            if (parse_hidden(v, &a->cfg) < 0)
                return -1;
        } else if (!strcmp(o, "--seed")) {
            if (cli_u64(o, v, &a->cfg.seed) < 0)
                return -1;
        } else if (!strcmp(o, "--schedule")) {
            if (train_schedule_parse(v, &a->cfg.schedule) < 0) {
                fprintf(stderr,
                        "symopt: option --schedule: '%s' is not "
                        "constant or cosine\n",
                        v);
                return -1;
            }
        } else if (!strcmp(o, "-D")) {
            if (cli_define(&a->defs, v) < 0)
                return -1;
        } else {
            a->data = v;
        }
    }
    if (!a->path) {
        fputs("symopt train: no rule file given\n", stderr);
        fputs(usage_text, stderr);
        return -1;
    }
    return 0;
}

typedef struct Progress {
    int steps;
    double t0;
} Progress;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void draw_progress(void *ctx, int step, double loss)
{
    Progress *p = ctx;
    double dt = now() - p->t0;

    fprintf(stderr, "\rstep %d/%d  loss %.4f  %.0f steps/s   ", step, p->steps,
            loss, dt > 0 ? step / dt : 0.0);
    fflush(stderr);
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* JSON has no infinities: a diverged run's losses are null. */
static void json_number(double v)
{
    if (isfinite(v))
        printf("%.9g", v);
    else
        fputs("null", stdout);
}

static void print_arch(const TrainConfig *c, FILE *out)
{
    fputs("784", out);
    for (int l = 0; l < c->nhidden; l++)
        fprintf(out, "-%d", c->hidden[l]);
    fputs("-10", out);
}

static void print_json(const TrainArgs *a, const Rule *r,
                       const TrainResult *res)
{
    const TrainConfig *c = &a->cfg;

    fputs("{\"rule\": ", stdout);
    json_string(r->name);
    fputs(", \"file\": ", stdout);
    json_string(a->path);
    fputs(", \"hyperparameters\": {", stdout);
    for (int i = 0; i < r->nparams; i++) {
        printf("%s", i ? ", " : "");
        json_string(r->params[i].name);
        fputs(": ", stdout);
        json_number(r->params[i].value);
    }
    printf("}, \"config\": {\"steps\": %d, \"batch\": %d, \"hidden\": [",
           c->steps, c->batch);
    for (int l = 0; l < c->nhidden; l++)
        printf("%s%d", l ? ", " : "", c->hidden[l]);
    printf("], \"seed\": %llu, \"schedule\": \"%s\", \"val_images\": %d}",
           (unsigned long long)c->seed, train_schedule_name(c->schedule),
           VAL_IMAGES);
    fputs(", \"val_acc\": ", stdout);
    json_number(res->val_acc);
    fputs(", \"val_loss\": ", stdout);
    json_number(res->val_loss);
    fputs(", \"test_acc\": ", stdout);
    json_number(res->test_acc);
    fputs(", \"test_loss\": ", stdout);
    json_number(res->test_loss);
    printf(", \"diverged\": %s, \"steps_done\": %d, \"seconds\": ",
           res->diverged ? "true" : "false", res->steps_done);
    json_number(res->seconds);
    fputs(", \"steps_per_sec\": ", stdout);
    json_number(res->seconds > 0 ? res->steps_done / res->seconds : 0);
    fputs("}\n", stdout);
}

static void print_text(const TrainArgs *a, const Rule *r,
                       const TrainResult *res)
{
    const TrainConfig *c = &a->cfg;

    if (res->diverged)
        printf("diverged at step %d of %d (loss not finite or above %g, "
               "or weights not finite)\n",
               res->steps_done, c->steps, c->loss_bound);
    printf("validation: accuracy %.4f  loss %.4f  (%d images)\n", res->val_acc,
           res->val_loss, VAL_IMAGES);
    printf("test:       accuracy %.4f  loss %.4f\n", res->test_acc,
           res->test_loss);
    printf("%s: %d steps in %.2f s (%.0f steps/s)\n", r->name, res->steps_done,
           res->seconds,
           res->seconds > 0 ? res->steps_done / res->seconds : 0.0);
}

/* Compiles the rule and trains; returns the exit status. */
static int run(TrainArgs *a, Rule *r)
{
    float hp[256];
    char err[1024];
    Dataset ds;
    TrainResult res;
    Progress prog = {a->cfg.steps, 0};
    Jit *jit;
    JitRule *jr;
    int status = 1;

    if (r->nparams > (int)(sizeof hp / sizeof *hp)) {
        fprintf(stderr, "%s: too many hyperparameters (%d)\n", a->path,
                r->nparams);
        return 1;
    }
    for (int i = 0; i < r->nparams; i++)
        hp[i] = (float)r->params[i].value;
    Optimizer opt = {NULL, r->nstates, hp,
                     r->lr_param >= 0 ? hp[r->lr_param] : 1.0f};

    if (!(jit = jit_new(err, sizeof err))) {
        fprintf(stderr, "symopt: %s\n", err);
        return 1;
    }
    if (!(jr = jit_compile(jit, r, err, sizeof err))) {
        fprintf(stderr, "%s: %s\n", a->path, err);
        goto done_jit;
    }
    opt.step = jit_fn(jr);

    if (dataset_load(&ds, a->data, VAL_IMAGES, err, sizeof err) < 0) {
        fprintf(stderr, "symopt: %s\n", err);
        goto done_jit;
    }
    a->cfg.eval_test = true;
    if (cli_tty()) {
        a->cfg.progress = draw_progress;
        a->cfg.progress_ctx = &prog;
        prog.t0 = now();
    }
    if (!a->json) {
        printf("%s: ", r->name);
        print_arch(&a->cfg, stdout);
        printf(", %d steps of batch %d, %s schedule, seed %llu\n", a->cfg.steps,
               a->cfg.batch, train_schedule_name(a->cfg.schedule),
               (unsigned long long)a->cfg.seed);
        fflush(stdout);
    }
    if (train_run(&ds, &opt, &a->cfg, &res, err, sizeof err) < 0) {
        fprintf(stderr, "%ssymopt: %s\n", cli_tty() ? "\n" : "", err);
        goto done_data;
    }
    if (cli_tty())
        fputs("\n", stderr);
    if (a->json)
        print_json(a, r, &res);
    else
        print_text(a, r, &res);
    status = 0;

done_data:
    dataset_free(&ds);
done_jit:
    jit_free(jit);
    return status;
}

int cmd_train(int argc, char **argv)
{
    TrainArgs a;
    Arena arena;
    Rule *r;
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc > 0 ? 0 : 2;
    arena_init(&arena);
    r = cli_load_rule(&arena, a.path);
    if (!r || cli_apply_defines(&a.defs, r, a.path) < 0) {
        arena_free(&arena);
        return r ? 2 : 1; /* a bad -D is a bad command line */
    }
    rc = run(&a, r);
    arena_free(&arena);
    return rc;
}
