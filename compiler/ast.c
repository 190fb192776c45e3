/* AST constructors, copies, equality and the function table. */
#include "compiler/ast.h"

#include <string.h>

const FnInfo fn_info[FN__COUNT] = {
    [FN_ADD] = {"+", 2, true},
    [FN_SUB] = {"-", 2, true},
    [FN_MUL] = {"*", 2, true},
    [FN_DIV] = {"/", 2, true},
    [FN_POW] = {"^", 2, true},
    [FN_NEG] = {"-", 1, true},
    [FN_INTERP] = {"interp", 3, false},
    [FN_SIGN] = {"sign", 1, false},
    [FN_ABS] = {"abs", 1, false},
    [FN_SQRT] = {"sqrt", 1, false},
    [FN_RSQRT] = {"rsqrt", 1, false},
    [FN_SQUARE] = {"square", 1, false},
    [FN_CUBE] = {"cube", 1, false},
    [FN_CBRT] = {"cbrt", 1, false},
    [FN_EXP] = {"exp", 1, false},
    [FN_EXPM1] = {"expm1", 1, false},
    [FN_LOG] = {"log", 1, false},
    [FN_LOG1P] = {"log1p", 1, false},
    [FN_SIN] = {"sin", 1, false},
    [FN_COS] = {"cos", 1, false},
    [FN_TAN] = {"tan", 1, false},
    [FN_ARCSIN] = {"arcsin", 1, false},
    [FN_ARCCOS] = {"arccos", 1, false},
    [FN_ARCTAN] = {"arctan", 1, false},
    [FN_SINH] = {"sinh", 1, false},
    [FN_COSH] = {"cosh", 1, false},
    [FN_TANH] = {"tanh", 1, false},
    [FN_ARCSINH] = {"arcsinh", 1, false},
    [FN_ARCTANH] = {"arctanh", 1, false},
    [FN_RECIPROCAL] = {"reciprocal", 1, false},
    [FN_MIN] = {"min", 2, false},
    [FN_MAX] = {"max", 2, false},
    [FN_CLIP] = {"clip", 2, false},
};

FnKind fn_lookup(const char *name, size_t len)
{
    for (int i = 0; i < FN__COUNT; i++) {
        const FnInfo *f = &fn_info[i];
        if (!f->op && strlen(f->name) == len && !memcmp(f->name, name, len))
            return (FnKind)i;
    }
    return FN_NONE;
}

static Node *new_node(Arena *a, NodeKind kind)
{
    Node *n = arena_alloc(a, sizeof *n);
    n->kind = kind;
    n->fn = FN_NONE;
    n->var = VK_UNRESOLVED;
    n->slot = -1;
    return n;
}

Node *ast_num(Arena *a, double v)
{
    Node *n = new_node(a, ND_NUM);
    n->num = v;
    n->scalar = true;
    return n;
}

Node *ast_var(Arena *a, const char *name)
{
    Node *n = new_node(a, ND_VAR);
    n->name = arena_strdup(a, name);
    return n;
}

Node *ast_call(Arena *a, FnKind fn, int nargs, Node **args)
{
    Node *n = new_node(a, ND_CALL);
    n->fn = fn;
    n->name = fn_info[fn].name;
    n->nargs = nargs;
    n->args = arena_alloc(a, sizeof(Node *) * (nargs ? nargs : 1));
    for (int i = 0; i < nargs; i++)
        n->args[i] = args[i];
    return n;
}

Node *ast_clone_node(Arena *a, const Node *n)
{
    Node *c = arena_alloc(a, sizeof *c);
    *c = *n;
    if (n->name)
        c->name = arena_strdup(a, n->name);
    if (n->kind == ND_CALL) {
        c->args = arena_alloc(a, sizeof(Node *) * (n->nargs ? n->nargs : 1));
        for (int i = 0; i < n->nargs; i++)
            c->args[i] = ast_clone_node(a, n->args[i]);
    }
    return c;
}

Rule *ast_clone(Arena *a, const Rule *r)
{
    Rule *c = arena_alloc(a, sizeof *c);
    *c = *r;
    c->arena = a;
    c->name = arena_strdup(a, r->name);
    c->doc = r->doc ? arena_strdup(a, r->doc) : NULL;

    c->params = arena_alloc(a, sizeof(Param) * (r->nparams + 1));
    for (int i = 0; i < r->nparams; i++) {
        c->params[i] = r->params[i];
        c->params[i].name = arena_strdup(a, r->params[i].name);
    }
    c->states = arena_alloc(a, sizeof(StateDecl) * (r->nstates + 1));
    for (int i = 0; i < r->nstates; i++) {
        c->states[i] = r->states[i];
        c->states[i].name = arena_strdup(a, r->states[i].name);
    }
    c->stmts = arena_alloc(a, sizeof(Stmt) * (r->nstmts + 1));
    for (int i = 0; i < r->nstmts; i++) {
        c->stmts[i] = r->stmts[i];
        c->stmts[i].target = arena_strdup(a, r->stmts[i].target);
        c->stmts[i].value = ast_clone_node(a, r->stmts[i].value);
    }
    c->ret = r->ret ? ast_clone_node(a, r->ret) : NULL;

    c->local_names = arena_alloc(a, sizeof(char *) * (r->nlocals + 1));
    for (int i = 0; i < r->nlocals; i++)
        c->local_names[i] = arena_strdup(a, r->local_names[i]);
    return c;
}

static bool same_name(const char *x, const char *y)
{
    return (!x && !y) || (x && y && !strcmp(x, y));
}

bool ast_equal_node(const Node *x, const Node *y)
{
    if (!x || !y)
        return x == y;
    if (x->kind != y->kind)
        return false;
    switch (x->kind) {
    case ND_NUM:
        return !memcmp(&x->num, &y->num, sizeof x->num);
    case ND_VAR:
        return same_name(x->name, y->name);
    case ND_CALL:
        if (x->fn != y->fn || x->nargs != y->nargs ||
            !same_name(x->name, y->name))
            return false;
        for (int i = 0; i < x->nargs; i++)
            if (!ast_equal_node(x->args[i], y->args[i]))
                return false;
        return true;
    }
    unreachable();
}

bool ast_equal(const Rule *x, const Rule *y)
{
    if (!same_name(x->name, y->name) || x->nparams != y->nparams ||
        x->nstates != y->nstates || x->nstmts != y->nstmts)
        return false;
    for (int i = 0; i < x->nparams; i++)
        if (!same_name(x->params[i].name, y->params[i].name) ||
            memcmp(&x->params[i].value, &y->params[i].value,
                   sizeof(double)))
            return false;
    for (int i = 0; i < x->nstates; i++)
        if (!same_name(x->states[i].name, y->states[i].name))
            return false;
    for (int i = 0; i < x->nstmts; i++)
        if (!same_name(x->stmts[i].target, y->stmts[i].target) ||
            !ast_equal_node(x->stmts[i].value, y->stmts[i].value))
            return false;
    return ast_equal_node(x->ret, y->ret);
}

int ast_count(const Node *n)
{
    int c = 1;
    if (n->kind == ND_CALL)
        for (int i = 0; i < n->nargs; i++)
            c += ast_count(n->args[i]);
    return c;
}
