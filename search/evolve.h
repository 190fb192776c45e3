/* Regularized evolution over rule ASTs (Chen et al., 2023): the search
 * loop, the fitness cache in front of the workers, the final
 * simplification and the results written to an output directory. */
#ifndef SYMOPT_EVOLVE_H
#define SYMOPT_EVOLVE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler/ast.h"
#include "search/worker.h"

/* Children made from one population state and evaluated together. Fixed,
 * so that a seed gives the same run whatever the number of workers. */
enum { EVO_BATCH = 8 };

/* Two fitnesses closer than this are the same (the proxy's seed-to-seed
 * spread, DESIGN.md). */
#define EVO_NOISE 0.003

typedef struct EvoProgress {
    long evaluated, trained, cache_hits, rejected, crashes;
    double best, seconds;
    bool final;
} EvoProgress;

typedef struct EvoConfig {
    int population; /* P >= 2 */
    int tournament; /* 1 <= T <= P */
    long budget;    /* children after the initial population; 0: none */
    double seconds; /* wall-clock limit of the search; 0: none */
    uint64_t seed;
    int workers;         /* 0: evaluate in this process */
    int topk;            /* rank-NN.opt files to write */
    int checkpoint;      /* write results every this many children */
    double eval_timeout; /* seconds one evaluation may take; then it
                            scores 0 */
    const char *out_dir; /* exists and is writable */
    const char *proxy;   /* the proxy task, for docs and the summary */
    const volatile sig_atomic_t *stop;      /* nonzero: stop soon (signals) */
    const volatile sig_atomic_t *abort_now; /* nonzero: skip simplify */
    FILE *log; /* log lines (seed, configuration, ...); NULL: quiet */
    void (*progress)(void *ctx, const EvoProgress *p);
    void *progress_ctx;
} EvoConfig;

/* The final simplification gets a tenth of the time limit, and at most
 * EVO_SIMPLIFY_MAX seconds (EVO_SIMPLIFY_AFTER_SIGNAL after a stop
 * signal), after the search ends. */
#define EVO_SIMPLIFY_MAX 30.0
#define EVO_SIMPLIFY_AFTER_SIGNAL 3.0
double evo_simplify_seconds(const EvoConfig *c);

/* The documented defaults of `symopt evolve`. */
EvoConfig evo_default_config(void);

typedef struct EvoResult {
    long evaluated; /* children scored, initial population included */
    long trained;   /* of which really evaluated (no cache hit) */
    long cache_hits, rejected, crashes;
    double best_fitness; /* of best.opt, after simplification */
    double best_fitness_unsimplified;
    long best_id;
    double seconds;
    const char *stopped_by; /* "budget", "time", "signal" */
} EvoResult;

/* Runs the search from the checked rules warm[0..nwarm-1] (origin[i] says
 * where each came from) with fitness from `task`, writing into
 * cfg->out_dir: best.opt, rank-01.opt..., log.jsonl, summary.json.
 * Returns 0, or -1 with a message in err (workers failed to start,
 * results cannot be written). */
int evo_run(const EvoConfig *cfg, const EvoTask *task, Rule *const *warm,
            const char *const *origin, int nwarm, EvoResult *res, char *err,
            size_t errlen);

/* The paper's AdamW program, examples/paper_adamw.opt as built in. */
extern const char evo_default_warm_text[];
extern const char evo_default_warm_path[];

#endif
