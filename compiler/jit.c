/* ORC LLJIT session for rules. Each compile gets a fresh LLVM context (so
 * that nothing accumulates in a shared one), the session's target machine
 * for the pass pipeline, a resource tracker and a unique symbol name. */
#include "compiler/jit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "compiler/codegen.h"

struct JitRule {
    LLVMOrcResourceTrackerRef rt; /* owned: removed and released */
    RuleStepFn fn;
    JitRule *prev, *next; /* the session's live rules */
};

struct Jit {
    LLVMOrcLLJITRef lljit;   /* owned */
    LLVMTargetMachineRef tm; /* owned; drives the pass pipeline */
    uint64_t serial;         /* for unique symbol names */
    JitRule *rules;
};

/* Copies the message of `e` into err and disposes it. */
static void take_error(LLVMErrorRef e, const char *what, char *err,
                       size_t errlen)
{
    char *msg = LLVMGetErrorMessage(e);
    if (err && errlen)
        snprintf(err, errlen, "jit: %s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
}

static LLVMOrcLLJITRef make_lljit(char *err, size_t errlen)
{
    LLVMOrcJITTargetMachineBuilderRef jtmb;
    LLVMErrorRef e = LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb);
    if (e) {
        take_error(e, "cannot detect the host", err, errlen);
        return NULL;
    }

    /* The builder takes the machine builder, LLVMOrcCreateLLJIT the
     * builder. */
    LLVMOrcLLJITBuilderRef b = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(b, jtmb);
    LLVMOrcLLJITRef lljit;
    if ((e = LLVMOrcCreateLLJIT(&lljit, b))) {
        take_error(e, "cannot create the session", err, errlen);
        return NULL;
    }

    /* libm (expf, powf, ...) resolves from the process. */
    LLVMOrcDefinitionGeneratorRef gen;
    e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
        &gen, LLVMOrcLLJITGetGlobalPrefix(lljit), NULL, NULL);
    if (e) {
        take_error(e, "cannot search the process for symbols", err, errlen);
        LLVMConsumeError(LLVMOrcDisposeLLJIT(lljit));
        return NULL;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(lljit), gen);
    return lljit;
}

Jit *jit_new(char *err, size_t errlen)
{
    cg_init();
    Jit *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "jit: out of memory");
        return NULL;
    }
    if (!(j->tm = cg_host_machine(LLVMRelocDefault, err, errlen))) {
        free(j);
        return NULL;
    }
    if (!(j->lljit = make_lljit(err, errlen))) {
        LLVMDisposeTargetMachine(j->tm);
        free(j);
        return NULL;
    }
    return j;
}

static void unlink_rule(Jit *j, JitRule *jr)
{
    if (jr->prev)
        jr->prev->next = jr->next;
    else
        j->rules = jr->next;
    if (jr->next)
        jr->next->prev = jr->prev;
}

/* Removes the rule's code; an error here leaves only leaked JIT memory,
 * so it is consumed. */
static void drop_rule(JitRule *jr)
{
    LLVMErrorRef e = LLVMOrcResourceTrackerRemove(jr->rt);
    if (e)
        LLVMConsumeError(e);
    LLVMOrcReleaseResourceTracker(jr->rt);
    free(jr);
}

void jit_release(Jit *j, JitRule *jr)
{
    if (!j || !jr)
        return;
    unlink_rule(j, jr);
    drop_rule(jr);

    /* The session's string pool keeps names until asked to forget the
     * unreferenced ones. */
    if (j->serial % 256 == 0)
        LLVMOrcSymbolStringPoolClearDeadEntries(
            LLVMOrcExecutionSessionGetSymbolStringPool(
                LLVMOrcLLJITGetExecutionSession(j->lljit)));
}

void jit_free(Jit *j)
{
    if (!j)
        return;
    while (j->rules) {
        JitRule *jr = j->rules;
        unlink_rule(j, jr);
        drop_rule(jr);
    }
    LLVMErrorRef e = LLVMOrcDisposeLLJIT(j->lljit);
    if (e)
        LLVMConsumeError(e);
    LLVMDisposeTargetMachine(j->tm);
    free(j);
}

/* Builds and optimizes the rule's module in a fresh thread-safe context;
 * the returned module owns a reference to that context. */
static LLVMOrcThreadSafeModuleRef build_module(Jit *j, const Rule *r,
                                               const char *name, char *err,
                                               size_t errlen)
{
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    LLVMModuleRef m = cg_build(ctx, r, name, j->tm, err, errlen);
    if (m && cg_optimize(m, j->tm, err, errlen) < 0) {
        LLVMDisposeModule(m);
        m = NULL;
    }
    LLVMOrcThreadSafeModuleRef tsm =
        m ? LLVMOrcCreateNewThreadSafeModule(m, tsc) : NULL;
    LLVMOrcDisposeThreadSafeContext(tsc);
    return tsm;
}

JitRule *jit_compile(Jit *j, const Rule *r, char *err, size_t errlen)
{
    char name[64];
    snprintf(name, sizeof name, "symopt_rule_%" PRIu64, ++j->serial);
    LLVMOrcThreadSafeModuleRef tsm = build_module(j, r, name, err, errlen);
    if (!tsm)
        return NULL;

    JitRule *jr = calloc(1, sizeof *jr);
    if (!jr) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        snprintf(err, errlen, "jit: out of memory");
        return NULL;
    }
    jr->rt = LLVMOrcJITDylibCreateResourceTracker(
        LLVMOrcLLJITGetMainJITDylib(j->lljit));

    /* The session takes the module, even when adding it fails. */
    LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModuleWithRT(j->lljit, jr->rt, tsm);
    LLVMOrcExecutorAddress addr = 0;
    if (e) {
        take_error(e, "cannot add the module", err, errlen);
    } else if ((e = LLVMOrcLLJITLookup(j->lljit, &addr, name))) {
        take_error(e, "cannot materialize the rule", err, errlen);
    }
    if (e) {
        drop_rule(jr);
        return NULL;
    }

    jr->fn = (RuleStepFn)(uintptr_t)addr;
    jr->next = j->rules;
    if (j->rules)
        j->rules->prev = jr;
    j->rules = jr;
    return jr;
}

RuleStepFn jit_fn(const JitRule *jr)
{
    return jr->fn;
}
