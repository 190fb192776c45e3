/* A tree-walking interpreter of checked rules. Every operation rounds to
 * float, nothing is contracted into FMA, and each function is the libm
 * float entry point named in the language's semantics. */
#include "compiler/interp.h"

#include <math.h>

#include "compiler/sema.h"

/* The environment of one element. */
typedef struct Env {
    float w, g, lr, step;
    const float *hp;
    float *states;
    float *locals;
} Env;

float interp_apply(FnKind fn, const float *a)
{
    switch (fn) {
    case FN_ADD: return a[0] + a[1];
    case FN_SUB: return a[0] - a[1];
    case FN_MUL: return a[0] * a[1];
    case FN_DIV: return a[0] / a[1];
    case FN_POW: return powf(a[0], a[1]);
    case FN_NEG: return -a[0];
    case FN_INTERP: {
        /* (1 - a) * x + a * y, each step rounded to float. */
        float one_minus = 1.0f - a[2];
        float left = one_minus * a[0];
        float right = a[2] * a[1];
        return left + right;
    }
    case FN_SIGN: return a[0] > 0 ? 1.0f : a[0] < 0 ? -1.0f : a[0];
    case FN_ABS: return fabsf(a[0]);
    case FN_SQRT: return sqrtf(a[0]);
    case FN_RSQRT: return 1.0f / sqrtf(a[0]);
    case FN_SQUARE: return a[0] * a[0];
    case FN_CUBE: {
        float sq = a[0] * a[0];
        return sq * a[0];
    }
    case FN_CBRT: return cbrtf(a[0]);
    case FN_EXP: return expf(a[0]);
    case FN_EXPM1: return expm1f(a[0]);
    case FN_LOG: return logf(a[0]);
    case FN_LOG1P: return log1pf(a[0]);
    case FN_SIN: return sinf(a[0]);
    case FN_COS: return cosf(a[0]);
    case FN_TAN: return tanf(a[0]);
    case FN_ARCSIN: return asinf(a[0]);
    case FN_ARCCOS: return acosf(a[0]);
    case FN_ARCTAN: return atanf(a[0]);
    case FN_SINH: return sinhf(a[0]);
    case FN_COSH: return coshf(a[0]);
    case FN_TANH: return tanhf(a[0]);
    case FN_ARCSINH: return asinhf(a[0]);
    case FN_ARCTANH: return atanhf(a[0]);
    case FN_RECIPROCAL: return 1.0f / a[0];
    case FN_MIN: return fminf(a[0], a[1]);
    case FN_MAX: return fmaxf(a[0], a[1]);
    case FN_CLIP: return fminf(fmaxf(a[0], -a[1]), a[1]);
    default: unreachable();
    }
}

/* Depth is bounded by SEMA_MAX_DEPTH on a checked rule. */
static float eval(const Node *n, const Env *e)
{
    switch (n->kind) {
    case ND_NUM:
        return (float)n->num;
    case ND_VAR:
        switch (n->var) {
        case VK_W: return e->w;
        case VK_G: return e->g;
        case VK_STEP: return e->step;
        case VK_LR: return e->lr;
        case VK_PARAM: return e->hp[n->slot];
        case VK_STATE: return e->states[n->slot];
        case VK_LOCAL: return e->locals[n->slot];
        default: unreachable();
        }
    case ND_CALL: {
        float args[3];
        if (n->nargs > 3)
            unreachable();
        for (int i = 0; i < n->nargs; i++)
            args[i] = eval(n->args[i], e);
        return interp_apply(n->fn, args);
    }
    }
    unreachable();
}

float interp_element(const Rule *r, float w, float g, float *state_vals,
                     const float *hp, float lr, int64_t step)
{
    float locals[SEMA_MAX_STMTS + 1];
    Env e = {.w = w, .g = g, .lr = lr, .step = (float)step, .hp = hp,
             .states = state_vals, .locals = locals};

    for (int i = 0; i < r->nstmts; i++) {
        const Stmt *s = &r->stmts[i];
        float v = eval(s->value, &e);
        if (s->tkind == VK_STATE)
            state_vals[s->tslot] = v;
        else
            locals[s->tslot] = v;
    }
    return eval(r->ret, &e);
}

void interp_step(const Rule *r, int64_t n, float *w, const float *g,
                 float *const *states, const float *hp, float lr,
                 int64_t step)
{
    float sv[SEMA_MAX_STATES];
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < r->nstates; k++)
            sv[k] = states[k][i];
        float u = interp_element(r, w[i], g[i], sv, hp, lr, step);
        for (int k = 0; k < r->nstates; k++)
            states[k][i] = sv[k];
        w[i] = w[i] - u;
    }
}
