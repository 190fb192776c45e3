/* LLVM IR for update rules: hyperparameters and scalar sub-expressions in
 * the entry block, then one fused loop over the elements whose accesses are
 * marked as not aliasing one another, so that the loop vectorizes. */
#include "compiler/codegen.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "compiler/diag.h"

/* The pass pipeline: what a rule's one loop needs to vectorize, and no
 * more. default<O2> gives the same vector loop at about 4.4 ms median JIT
 * compile time of the examples against about 3.5 ms for this one (the
 * budget is 5 ms); the rest of the time is instruction selection. */
static const char *const cg_pipeline =
    "function(sroa,early-cse,instcombine,simplifycfg,loop-simplify,lcssa,"
    "loop-mssa(loop-rotate,licm),loop-vectorize,instcombine,simplifycfg)";

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_native(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
}

void cg_init(void)
{
    pthread_once(&init_once, init_native);
}

LLVMTargetMachineRef cg_host_machine(LLVMRelocMode reloc, char *err,
                                     size_t errlen)
{
    cg_init();
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        diag_set(err, errlen, "no LLVM target for %s: %s", triple,
                 msg ? msg : "unknown");
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }

    char *cpu = LLVMGetHostCPUName();
    char *features = LLVMGetHostCPUFeatures();
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
        target, triple, cpu, features, LLVMCodeGenLevelDefault, reloc,
        LLVMCodeModelDefault);
    if (!tm)
        diag_set(err, errlen, "cannot create a target machine for %s (%s)",
                 triple, cpu);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    return tm;
}

/* Per-function state of the generator. Tensor j is w (0), g (1) or state
 * j - 2; each has its own alias scope. The function's blocks: entry (is
 * n > 0?), head (loads of hp and state pointers, scalar work), loop, exit. */
typedef struct Cg {
    const Rule *r;
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef pre;  /* end of the head block: scalar work */
    LLVMBuilderRef body; /* the loop body */
    LLVMTypeRef f32, i64, ptr;
    LLVMValueRef i;        /* the element index */
    LLVMValueRef w, g;     /* this element's weight and gradient */
    LLVMValueRef stepf;    /* (float)step */
    LLVMValueRef lr;       /* the scheduled lr argument */
    LLVMValueRef *hp;      /* nparams loaded hyperparameters */
    LLVMValueRef *sptr;    /* nstates state base pointers */
    LLVMValueRef *state;   /* current value of each state */
    bool *assigned;        /* state assigned in the body: stored at the end */
    LLVMValueRef *local;   /* current value of each local; NULL unassigned */
    bool *local_scalar;    /* that value lives in the entry block */
    LLVMValueRef *scope;   /* per tensor: !alias.scope list */
    LLVMValueRef *noalias; /* per tensor: !noalias list */
    unsigned kind_scope, kind_noalias;
    char *err;
    size_t errlen;
    bool failed;
} Cg;

static void cg_fail(Cg *c, const char *fmt, const char *arg)
{
    if (!c->failed)
        diag_set(c->err, c->errlen, fmt, arg);
    c->failed = true;
}

static LLVMMetadataRef md_str(Cg *c, const char *s)
{
    return LLVMMDStringInContext2(c->ctx, s, strlen(s));
}

/* One scope per tensor in one domain: every access says which tensor it
 * touches and that it touches none of the others. */
static void make_scopes(Cg *c, int ntensors)
{
    LLVMMetadataRef dom_ops[1] = {md_str(c, "symopt.tensors")};
    LLVMMetadataRef dom = LLVMMDNodeInContext2(c->ctx, dom_ops, 1);
    LLVMMetadataRef *scopes = calloc((size_t)ntensors, sizeof *scopes);
    LLVMMetadataRef *others = calloc((size_t)ntensors, sizeof *others);
    for (int j = 0; j < ntensors; j++) {
        char name[48];
        snprintf(name, sizeof name, "symopt.tensor%d", j);
        LLVMMetadataRef ops[2] = {md_str(c, name), dom};
        scopes[j] = LLVMMDNodeInContext2(c->ctx, ops, 2);
    }

    for (int j = 0; j < ntensors; j++) {
        int k = 0;
        for (int o = 0; o < ntensors; o++)
            if (o != j)
                others[k++] = scopes[o];
        LLVMMetadataRef self = LLVMMDNodeInContext2(c->ctx, &scopes[j], 1);
        c->scope[j] = LLVMMetadataAsValue(c->ctx, self);
        LLVMMetadataRef rest = LLVMMDNodeInContext2(c->ctx, others, (size_t)k);
        c->noalias[j] = LLVMMetadataAsValue(c->ctx, rest);
    }
    free(scopes);
    free(others);
}

static LLVMValueRef elem_ptr(Cg *c, LLVMValueRef base)
{
    return LLVMBuildInBoundsGEP2(c->body, c->f32, base, &c->i, 1, "");
}

static void mark(Cg *c, LLVMValueRef inst, int tensor)
{
    LLVMSetMetadata(inst, c->kind_scope, c->scope[tensor]);
    LLVMSetMetadata(inst, c->kind_noalias, c->noalias[tensor]);
}

static LLVMValueRef load_elem(Cg *c, LLVMValueRef base, int tensor)
{
    LLVMValueRef v = LLVMBuildLoad2(c->body, c->f32, elem_ptr(c, base), "");
    mark(c, v, tensor);
    return v;
}

static void store_elem(Cg *c, LLVMValueRef v, LLVMValueRef base, int tensor)
{
    mark(c, LLVMBuildStore(c->body, v, elem_ptr(c, base)), tensor);
}

/* Depends on no tensor element, given where each local's value lives. */
static bool is_scalar(const Cg *c, const Node *n)
{
    switch (n->kind) {
    case ND_NUM:
        return true;
    case ND_VAR:
        switch (n->var) {
        case VK_STEP:
        case VK_LR:
        case VK_PARAM:
            return true;
        case VK_LOCAL:
            return n->slot >= 0 && n->slot < c->r->nlocals &&
                   c->local_scalar[n->slot];
        default:
            return false;
        }
    case ND_CALL:
        for (int k = 0; k < n->nargs; k++)
            if (!is_scalar(c, n->args[k]))
                return false;
        return true;
    }
    return false;
}

static LLVMValueRef fconst(Cg *c, double v)
{
    return LLVMConstReal(c->f32, v);
}

static LLVMValueRef call_intrinsic(Cg *c, LLVMBuilderRef b, const char *name,
                                   LLVMValueRef *args, unsigned nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->mod, id, &c->f32, 1);
    LLVMTypeRef ty = LLVMIntrinsicGetType(c->ctx, id, &c->f32, 1);
    return LLVMBuildCall2(b, ty, fn, args, nargs, "");
}

/* The module's declaration of libm function `name` of type ty, added on
 * first use, free of memory effects (errno is never read). */
static LLVMValueRef declare_libm(Cg *c, const char *name, LLVMTypeRef ty)
{
    LLVMValueRef fn = LLVMGetNamedFunction(c->mod, name);
    if (fn)
        return fn;
    fn = LLVMAddFunction(c->mod, name, ty);
    const char *attrs[] = {"nounwind", "willreturn", "nosync"};
    for (size_t k = 0; k < sizeof attrs / sizeof *attrs; k++) {
        unsigned kind =
            LLVMGetEnumAttributeKindForName(attrs[k], strlen(attrs[k]));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(c->ctx, kind, 0));
    }
    unsigned mem = LLVMGetEnumAttributeKindForName("memory", 6);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(c->ctx, mem, 0));
    return fn;
}

/* A call of libm float function `name` of one argument; being free of
 * memory effects, it can be moved and folded. */
static LLVMValueRef call_libm(Cg *c, LLVMBuilderRef b, const char *name,
                              LLVMValueRef x)
{
    LLVMTypeRef ty = LLVMFunctionType(c->f32, &c->f32, 1, 0);
    LLVMValueRef fn = declare_libm(c, name, ty);
    return LLVMBuildCall2(b, ty, fn, &x, 1, "");
}

/* powf as a plain call marked `nobuiltin`, which the optimizer must not
 * rewrite. As llvm.pow, or as a powf it recognizes, the library-call
 * simplifier turns pow(2^k, x) into exp2(k * x), whose rounding of k * x
 * costs far more than the few ulp the semantics allow (pow(8, x) came
 * out 14 ulp off); the vectorizer would widen a recognized call into
 * llvm.pow and so bring the rewrite back. */
static LLVMValueRef call_powf(Cg *c, LLVMBuilderRef b, LLVMValueRef *args)
{
    LLVMTypeRef params[2] = {c->f32, c->f32};
    LLVMTypeRef ty = LLVMFunctionType(c->f32, params, 2, 0);
    LLVMValueRef fn = declare_libm(c, "powf", ty);
    LLVMValueRef call = LLVMBuildCall2(b, ty, fn, args, 2, "");
    unsigned nobuiltin = LLVMGetEnumAttributeKindForName("nobuiltin", 9);
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(c->ctx, nobuiltin, 0));
    return call;
}

/* fminf and fmaxf as glibc computes them: a NaN operand yields the other
 * operand, and equal operands (such as -0 and +0) yield the first. The
 * llvm.minnum lowering picks differently among signed zeros. */
static LLVMValueRef build_min(LLVMBuilderRef b, LLVMValueRef x, LLVMValueRef y,
                              bool max)
{
    LLVMValueRef gt =
        LLVMBuildFCmp(b, max ? LLVMRealOLT : LLVMRealOGT, x, y, "");
    LLVMValueRef pick = LLVMBuildSelect(b, gt, y, x, "");
    LLVMValueRef xnan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(b, xnan, y, pick, "");
}

static LLVMValueRef emit(Cg *c, const Node *n);

static LLVMValueRef emit_var(Cg *c, const Node *n)
{
    switch (n->var) {
    case VK_W:
        return c->w;
    case VK_G:
        return c->g;
    case VK_STEP:
        return c->stepf;
    case VK_LR:
        return c->lr;
    case VK_PARAM:
        if (n->slot >= 0 && n->slot < c->r->nparams)
            return c->hp[n->slot];
        break;
    case VK_STATE:
        if (n->slot >= 0 && n->slot < c->r->nstates)
            return c->state[n->slot];
        break;
    case VK_LOCAL:
        if (n->slot >= 0 && n->slot < c->r->nlocals && c->local[n->slot])
            return c->local[n->slot];
        cg_fail(c, "codegen: '%s' is read before it is assigned",
                n->name ? n->name : "?");
        return NULL;
    case VK_UNRESOLVED:
        break;
    }
    cg_fail(c, "codegen: name '%s' was not resolved by the checks",
            n->name ? n->name : "?");
    return NULL;
}

static const char *const libm_name[FN__COUNT] = {
    [FN_CBRT] = "cbrtf",   [FN_EXPM1] = "expm1f",   [FN_LOG1P] = "log1pf",
    [FN_TAN] = "tanf",     [FN_ARCSIN] = "asinf",   [FN_ARCCOS] = "acosf",
    [FN_ARCTAN] = "atanf", [FN_SINH] = "sinhf",     [FN_COSH] = "coshf",
    [FN_TANH] = "tanhf",   [FN_ARCSINH] = "asinhf", [FN_ARCTANH] = "atanhf",
};

static const char *const intrinsic_name[FN__COUNT] = {
    [FN_SQRT] = "llvm.sqrt", [FN_ABS] = "llvm.fabs", [FN_EXP] = "llvm.exp",
    [FN_LOG] = "llvm.log",   [FN_SIN] = "llvm.sin",  [FN_COS] = "llvm.cos",
};

/* The call `n` with its arguments a[], built with `b`. Every operation is
 * plain float arithmetic in the order the interpreter uses. */
static LLVMValueRef emit_fn(Cg *c, const Node *n, LLVMBuilderRef b,
                            LLVMValueRef *a)
{
    LLVMValueRef one = fconst(c, 1.0);
    switch (n->fn) {
    case FN_ADD:
        return LLVMBuildFAdd(b, a[0], a[1], "");
    case FN_SUB:
        return LLVMBuildFSub(b, a[0], a[1], "");
    case FN_MUL:
        return LLVMBuildFMul(b, a[0], a[1], "");
    case FN_DIV:
        return LLVMBuildFDiv(b, a[0], a[1], "");
    case FN_NEG:
        return LLVMBuildFNeg(b, a[0], "");
    case FN_INTERP: {
        LLVMBuilderRef ba = is_scalar(c, n->args[2]) ? c->pre : b;
        LLVMValueRef t = LLVMBuildFSub(ba, one, a[2], "");
        LLVMValueRef p = LLVMBuildFMul(b, t, a[0], "");
        LLVMValueRef q = LLVMBuildFMul(b, a[2], a[1], "");
        return LLVMBuildFAdd(b, p, q, "");
    }
    case FN_SIGN: {
        /* x itself for ±0 and NaN, else 1 with x's sign: one compare and
         * one blend, where x > 0 ? 1 : x < 0 ? -1 : x takes two of each. */
        LLVMValueRef zero = fconst(c, 0.0);
        LLVMValueRef keep = LLVMBuildFCmp(b, LLVMRealUEQ, a[0], zero, "");
        LLVMValueRef cs[2] = {one, a[0]};
        LLVMValueRef unit = call_intrinsic(c, b, "llvm.copysign", cs, 2);
        return LLVMBuildSelect(b, keep, a[0], unit, "");
    }
    case FN_RSQRT: {
        LLVMValueRef s = call_intrinsic(c, b, "llvm.sqrt", a, 1);
        return LLVMBuildFDiv(b, one, s, "");
    }
    case FN_SQUARE:
        return LLVMBuildFMul(b, a[0], a[0], "");
    case FN_CUBE: {
        LLVMValueRef sq = LLVMBuildFMul(b, a[0], a[0], "");
        return LLVMBuildFMul(b, sq, a[0], "");
    }
    case FN_RECIPROCAL:
        return LLVMBuildFDiv(b, one, a[0], "");
    case FN_MIN:
        return build_min(b, a[0], a[1], false);
    case FN_MAX:
        return build_min(b, a[0], a[1], true);
    case FN_CLIP: {
        LLVMBuilderRef bb = is_scalar(c, n->args[1]) ? c->pre : b;
        LLVMValueRef lo = LLVMBuildFNeg(bb, a[1], "");
        return build_min(b, build_min(b, a[0], lo, true), a[1], false);
    }
    case FN_POW:
        return call_powf(c, b, a);
    default:
        break;
    }
    if (n->fn >= 0 && n->fn < FN__COUNT && intrinsic_name[n->fn])
        return call_intrinsic(c, b, intrinsic_name[n->fn], a,
                              (unsigned)n->nargs);
    if (n->fn >= 0 && n->fn < FN__COUNT && libm_name[n->fn])
        return call_libm(c, b, libm_name[n->fn], a[0]);
    cg_fail(c, "codegen: unknown function '%s'", n->name ? n->name : "?");
    return NULL;
}

static LLVMValueRef emit(Cg *c, const Node *n)
{
    if (c->failed)
        return NULL;
    switch (n->kind) {
    case ND_NUM:
        return fconst(c, n->num);
    case ND_VAR:
        return emit_var(c, n);
    case ND_CALL:
        break;
    }

    if (n->fn < 0 || n->fn >= FN__COUNT || n->nargs != fn_info[n->fn].arity ||
        n->nargs > 3) {
        cg_fail(c, "codegen: bad call of '%s'", n->name ? n->name : "?");
        return NULL;
    }
    LLVMValueRef a[3];
    for (int k = 0; k < n->nargs; k++)
        if (!(a[k] = emit(c, n->args[k])))
            return NULL;
    return emit_fn(c, n, is_scalar(c, n) ? c->pre : c->body, a);
}

/* The loop's head: hyperparameters, (float)step and the state base
 * pointers, loaded once per call. */
static void emit_entry(Cg *c, LLVMValueRef fn)
{
    LLVMValueRef hp = LLVMGetParam(fn, 4);
    for (int k = 0; k < c->r->nparams; k++) {
        LLVMValueRef idx = LLVMConstInt(c->i64, (unsigned long long)k, 0);
        LLVMValueRef p = LLVMBuildInBoundsGEP2(c->pre, c->f32, hp, &idx, 1, "");
        c->hp[k] = LLVMBuildLoad2(c->pre, c->f32, p, c->r->params[k].name);
    }

    LLVMValueRef states = LLVMGetParam(fn, 3);
    for (int k = 0; k < c->r->nstates; k++) {
        LLVMValueRef idx = LLVMConstInt(c->i64, (unsigned long long)k, 0);
        LLVMValueRef p =
            LLVMBuildInBoundsGEP2(c->pre, c->ptr, states, &idx, 1, "");
        c->sptr[k] = LLVMBuildLoad2(c->pre, c->ptr, p, c->r->states[k].name);
    }

    c->lr = LLVMGetParam(fn, 5);
    c->stepf = LLVMBuildSIToFP(c->pre, LLVMGetParam(fn, 6), c->f32, "stepf");
}

static void emit_stmts(Cg *c)
{
    for (int s = 0; s < c->r->nstmts && !c->failed; s++) {
        const Stmt *st = &c->r->stmts[s];
        LLVMValueRef v = emit(c, st->value);
        if (!v)
            return;
        if (st->tkind == VK_STATE && st->tslot >= 0 &&
            st->tslot < c->r->nstates) {
            c->state[st->tslot] = v;
            c->assigned[st->tslot] = true;
        } else if (st->tkind == VK_LOCAL && st->tslot >= 0 &&
                   st->tslot < c->r->nlocals) {
            c->local_scalar[st->tslot] = is_scalar(c, st->value);
            c->local[st->tslot] = v;
        } else {
            cg_fail(c, "codegen: assignment to '%s' was not checked",
                    st->target ? st->target : "?");
        }
    }
}

static void set_fn_attrs(Cg *c, LLVMValueRef fn, LLVMTargetMachineRef tm)
{
    char *cpu = LLVMGetTargetMachineCPU(tm);
    char *features = LLVMGetTargetMachineFeatureString(tm);
    LLVMAddTargetDependentFunctionAttr(fn, "target-cpu", cpu);
    LLVMAddTargetDependentFunctionAttr(fn, "target-features", features);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);

    unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(c->ctx, nounwind, 0));
    unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (unsigned p = 1; p <= 4; p++)
        LLVMAddAttributeAtIndex(fn, p + 1,
                                LLVMCreateEnumAttribute(c->ctx, noalias, 0));
}

static void set_target(LLVMModuleRef m, LLVMTargetMachineRef tm)
{
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(m, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    char *layout = LLVMCopyStringRepOfTargetData(td);
    LLVMSetDataLayout(m, layout);
    LLVMDisposeMessage(layout);
    LLVMDisposeTargetData(td);
}

/* The loop: one iteration per element, loads, the statements, the stores
 * of the assigned states, then w[i] -= ret. */
static void emit_loop(Cg *c, LLVMValueRef fn, LLVMBasicBlockRef entry,
                      LLVMBasicBlockRef head, LLVMBasicBlockRef loop,
                      LLVMBasicBlockRef exit)
{
    c->i = LLVMBuildPhi(c->body, c->i64, "i");
    LLVMValueRef wbase = LLVMGetParam(fn, 1);
    c->w = load_elem(c, wbase, 0);
    c->g = load_elem(c, LLVMGetParam(fn, 2), 1);
    for (int k = 0; k < c->r->nstates; k++)
        c->state[k] = load_elem(c, c->sptr[k], 2 + k);

    emit_stmts(c);
    LLVMValueRef ret = c->failed ? NULL : emit(c, c->r->ret);
    if (!ret)
        return;

    for (int k = 0; k < c->r->nstates; k++)
        if (c->assigned[k])
            store_elem(c, c->state[k], c->sptr[k], 2 + k);
    store_elem(c, LLVMBuildFSub(c->body, c->w, ret, ""), wbase, 0);

    LLVMValueRef n = LLVMGetParam(fn, 0);
    LLVMValueRef zero = LLVMConstInt(c->i64, 0, 0);
    LLVMValueRef next =
        LLVMBuildNSWAdd(c->body, c->i, LLVMConstInt(c->i64, 1, 0), "");
    LLVMValueRef more = LLVMBuildICmp(c->body, LLVMIntSLT, next, n, "");
    LLVMBuildCondBr(c->body, more, loop, exit);
    LLVMValueRef vals[2] = {zero, next};
    LLVMBasicBlockRef from[2] = {head, loop};
    LLVMAddIncoming(c->i, vals, from, 2);
    LLVMBuildBr(c->pre, loop);

    /* Nothing is read, not even hp or states, when n <= 0. */
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->ctx);
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef any = LLVMBuildICmp(b, LLVMIntSGT, n, zero, "");
    LLVMBuildCondBr(b, any, head, exit);
    LLVMDisposeBuilder(b);
}

static bool cg_alloc(Cg *c)
{
    const Rule *r = c->r;
    size_t np = (size_t)r->nparams + 1, ns = (size_t)r->nstates + 1;
    size_t nl = (size_t)r->nlocals + 1;
    c->hp = calloc(np, sizeof *c->hp);
    c->sptr = calloc(ns, sizeof *c->sptr);
    c->state = calloc(ns, sizeof *c->state);
    c->assigned = calloc(ns, sizeof *c->assigned);
    c->local = calloc(nl, sizeof *c->local);
    c->local_scalar = calloc(nl, sizeof *c->local_scalar);
    c->scope = calloc(ns + 2, sizeof *c->scope);
    c->noalias = calloc(ns + 2, sizeof *c->noalias);
    return c->hp && c->sptr && c->state && c->assigned && c->local &&
           c->local_scalar && c->scope && c->noalias;
}

static void cg_release(Cg *c)
{
    free(c->hp);
    free(c->sptr);
    free(c->state);
    free(c->assigned);
    free(c->local);
    free(c->local_scalar);
    free(c->scope);
    free(c->noalias);
    if (c->pre)
        LLVMDisposeBuilder(c->pre);
    if (c->body)
        LLVMDisposeBuilder(c->body);
}

static bool verify(LLVMModuleRef m, char *err, size_t errlen)
{
    char *msg = NULL;
    bool bad = LLVMVerifyModule(m, LLVMReturnStatusAction, &msg);
    if (bad)
        diag_set(err, errlen, "codegen: invalid IR: %s", msg ? msg : "?");
    LLVMDisposeMessage(msg);
    return !bad;
}

LLVMModuleRef cg_build(LLVMContextRef ctx, const Rule *r, const char *fname,
                       LLVMTargetMachineRef tm, char *err, size_t errlen)
{
    if (!r->ret || r->nparams < 0 || r->nstates < 0 || r->nlocals < 0) {
        diag_set(err, errlen, "codegen: rule '%s' is incomplete",
                 r->name ? r->name : "?");
        return NULL;
    }
    Cg c = {.r = r, .ctx = ctx, .err = err, .errlen = errlen};
    if (!cg_alloc(&c)) {
        cg_release(&c);
        diag_set(err, errlen, "codegen: out of memory");
        return NULL;
    }
    c.mod = LLVMModuleCreateWithNameInContext(r->name ? r->name : "rule", ctx);
    set_target(c.mod, tm);
    c.f32 = LLVMFloatTypeInContext(ctx);
    c.i64 = LLVMInt64TypeInContext(ctx);
    c.ptr = LLVMPointerTypeInContext(ctx, 0);
    c.kind_scope = LLVMGetMDKindIDInContext(ctx, "alias.scope", 11);
    c.kind_noalias = LLVMGetMDKindIDInContext(ctx, "noalias", 7);
    make_scopes(&c, 2 + r->nstates);

    LLVMTypeRef params[7] = {c.i64, c.ptr, c.ptr, c.ptr, c.ptr, c.f32, c.i64};
    LLVMTypeRef fty =
        LLVMFunctionType(LLVMVoidTypeInContext(ctx), params, 7, 0);
    LLVMValueRef fn = LLVMAddFunction(c.mod, fname, fty);
    set_fn_attrs(&c, fn, tm);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, fn, "entry");
    LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(ctx, fn, "head");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(ctx, fn, "loop");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(ctx, fn, "exit");
    c.pre = LLVMCreateBuilderInContext(ctx);
    c.body = LLVMCreateBuilderInContext(ctx);
    LLVMPositionBuilderAtEnd(c.pre, head);
    LLVMPositionBuilderAtEnd(c.body, loop);

    emit_entry(&c, fn);
    emit_loop(&c, fn, entry, head, loop, exit);
    if (!c.failed) {
        LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
        LLVMPositionBuilderAtEnd(b, exit);
        LLVMBuildRetVoid(b);
        LLVMDisposeBuilder(b);
    }
    cg_release(&c);

    if (c.failed || !verify(c.mod, err, errlen)) {
        LLVMDisposeModule(c.mod);
        return NULL;
    }
    return c.mod;
}

int cg_optimize(LLVMModuleRef m, LLVMTargetMachineRef tm, char *err,
                size_t errlen)
{
    LLVMPassBuilderOptionsRef o = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(o, 1);
    LLVMPassBuilderOptionsSetSLPVectorization(o, 1);
    LLVMPassBuilderOptionsSetLoopInterleaving(o, 1);
    LLVMPassBuilderOptionsSetLoopUnrolling(o, 1);
    LLVMErrorRef e = LLVMRunPasses(m, cg_pipeline, tm, o);
    LLVMDisposePassBuilderOptions(o);
    if (e) {
        char *msg = LLVMGetErrorMessage(e);
        diag_set(err, errlen, "codegen: optimization failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return -1;
    }
    return 0;
}

static char *dup_text(const char *s, size_t len)
{
    char *t = malloc(len + 1);
    if (t) {
        memcpy(t, s, len);
        t[len] = '\0';
    }
    return t;
}

static char *dump_module(LLVMModuleRef m, LLVMTargetMachineRef tm, CgDump what,
                         char *err, size_t errlen)
{
    if (what != CG_DUMP_IR && cg_optimize(m, tm, err, errlen) < 0)
        return NULL;
    if (what != CG_DUMP_ASM) {
        char *s = LLVMPrintModuleToString(m);
        char *t = dup_text(s, strlen(s));
        LLVMDisposeMessage(s);
        return t;
    }

    char *msg = NULL;
    LLVMMemoryBufferRef buf = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMAssemblyFile, &msg,
                                            &buf)) {
        diag_set(err, errlen, "codegen: cannot emit assembly: %s",
                 msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return NULL;
    }
    char *t = dup_text(LLVMGetBufferStart(buf), LLVMGetBufferSize(buf));
    LLVMDisposeMemoryBuffer(buf);
    return t;
}

char *cg_dump(const Rule *r, CgDump what, char *err, size_t errlen)
{
    LLVMTargetMachineRef tm = cg_host_machine(LLVMRelocPIC, err, errlen);
    if (!tm)
        return NULL;
    char fname[256];
    snprintf(fname, sizeof fname, "%s_step", r->name ? r->name : "rule");

    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = cg_build(ctx, r, fname, tm, err, errlen);
    char *text = m ? dump_module(m, tm, what, err, errlen) : NULL;
    if (m)
        LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    if (m && !text && err && !*err)
        diag_set(err, errlen, "codegen: out of memory");
    return text;
}
