/* The search's fitness task: JIT-compile a rule's text and train the cheap
 * proxy (runtime/train.h) with it; fitness is the validation accuracy, 0
 * when anything fails or the run diverges. */
#ifndef SYMOPT_PROXY_H
#define SYMOPT_PROXY_H

#include <stddef.h>

#include "runtime/train.h"
#include "search/worker.h"

typedef struct EvoProxy {
    const Dataset *ds; /* loaded before the workers fork */
    TrainConfig train;
    char desc[160]; /* one line: what the proxy is */
} EvoProxy;

/* Fills p with the proxy preset on ds (seed: the training seed) and t
 * with the task that runs it; p must outlive t. */
void evo_proxy_task(EvoProxy *p, const Dataset *ds, uint64_t seed, EvoTask *t);

#endif
