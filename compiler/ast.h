/* The AST of an update rule: the one representation shared by the parser,
 * the checks, the printer, the interpreter, the code generator and the
 * search, which mutates it directly. Every node lives in an Arena. */
#ifndef SYMOPT_AST_H
#define SYMOPT_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/diag.h"

/* Functions of the language. Operators are functions too, so that a
 * mutation can swap `+` for `max` as easily as `sin` for `cos`. */
typedef enum FnKind {
    FN_NONE = -1, /* a call to an unknown name, reported by sema */
    FN_ADD,
    FN_SUB,
    FN_MUL,
    FN_DIV,
    FN_POW, /* x ^ y */
    FN_NEG, /* -x */
    FN_INTERP,
    FN_SIGN,
    FN_ABS,
    FN_SQRT,
    FN_RSQRT,
    FN_SQUARE,
    FN_CUBE,
    FN_CBRT,
    FN_EXP,
    FN_EXPM1,
    FN_LOG,
    FN_LOG1P,
    FN_SIN,
    FN_COS,
    FN_TAN,
    FN_ARCSIN,
    FN_ARCCOS,
    FN_ARCTAN,
    FN_SINH,
    FN_COSH,
    FN_TANH,
    FN_ARCSINH,
    FN_ARCTANH,
    FN_RECIPROCAL,
    FN_MIN,
    FN_MAX,
    FN_CLIP, /* clip(x, b): x clamped to [-b, b] */
    FN__COUNT
} FnKind;

typedef struct FnInfo {
    const char *name; /* spelling in calls; operators: the symbol */
    int arity;
    bool op; /* written infix (or prefix for FN_NEG), not as a call */
} FnInfo;

extern const FnInfo fn_info[FN__COUNT];
/* FN_NONE when `name` (len bytes) is no function callable by name. */
FnKind fn_lookup(const char *name, size_t len);

typedef enum NodeKind {
    ND_NUM,  /* a literal */
    ND_VAR,  /* a name */
    ND_CALL, /* a function or operator applied to args */
} NodeKind;

/* What a name refers to; filled in by sema. */
typedef enum VarKind {
    VK_UNRESOLVED,
    VK_W,     /* the weight, read-only */
    VK_G,     /* the gradient, read-only */
    VK_STEP,  /* 1-based step count, scalar */
    VK_LR,    /* scheduled learning rate, scalar (needs a declared `lr`) */
    VK_PARAM, /* header hyperparameter `slot`, scalar */
    VK_STATE, /* state tensor `slot` */
    VK_LOCAL, /* local temporary `slot` */
} VarKind;

typedef struct Node Node;
struct Node {
    NodeKind kind;
    Span span;    /* in the source; {0,0} for nodes the search made */
    double num;   /* ND_NUM */
    const char *name; /* ND_VAR: the name; ND_CALL: the function's name */
    FnKind fn;    /* ND_CALL */
    int nargs;    /* ND_CALL */
    Node **args;  /* ND_CALL: nargs pointers */
    VarKind var;  /* ND_VAR, after sema */
    int slot;     /* ND_VAR, after sema: index for PARAM, STATE, LOCAL */
    bool scalar;  /* after sema: depends on no tensor element */
};

typedef struct Param {
    const char *name;
    double value; /* the default, overridable with -D name=value */
    Span span;
} Param;

typedef struct StateDecl {
    const char *name;
    Span span;
} StateDecl;

/* `target = value;`. The target is a state or a local temporary. */
typedef struct Stmt {
    const char *target;
    Span span;        /* the whole statement */
    Span target_span; /* the target name */
    Node *value;
    VarKind tkind; /* after sema: VK_STATE or VK_LOCAL */
    int tslot;     /* after sema */
} Stmt;

typedef struct Rule {
    const char *doc; /* the comment lines just before `rule`, each with its
                        '#', joined by newlines; NULL if none */
    const char *name;
    Span span; /* the rule's name */
    Param *params;
    int nparams;
    StateDecl *states;
    int nstates;
    Stmt *stmts; /* in order; the return comes after all of them */
    int nstmts;
    Node *ret; /* the returned update; trainer does w = w - ret */
    Span ret_span;
    Arena *arena; /* where sema allocates local_names; parse_rule and
                     ast_clone set it, code building a Rule by hand must */
    /* Filled in by sema. */
    int lr_param;       /* index of the `lr` parameter, or -1 */
    int nlocals;
    const char **local_names; /* nlocals names, slot order */
} Rule;

/* Constructors for code that builds or mutates trees. */
Node *ast_num(Arena *a, double v);
Node *ast_var(Arena *a, const char *name);
Node *ast_call(Arena *a, FnKind fn, int nargs, Node **args);

/* Deep copies into arena `a`; sema results are copied as they are. */
Node *ast_clone_node(Arena *a, const Node *n);
Rule *ast_clone(Arena *a, const Rule *r);

/* Structural equality, ignoring spans, docs and sema results: the
 * equality of parse(print(ast)) == ast. Numbers compare bit for bit
 * (NaN == NaN). */
bool ast_equal_node(const Node *x, const Node *y);
bool ast_equal(const Rule *x, const Rule *y);

/* Number of nodes in an expression (for limits and mutation sampling). */
int ast_count(const Node *n);

#endif
