/* Object files and C headers for compiled rules. Both files are written
 * under temporary names in their target directories and renamed into
 * place only when both are complete. */
#include "compiler/emit.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/codegen.h"
#include "compiler/diag.h"

/* Names a rule's names must avoid in a header that C and C++ programs
 * include: the keywords of both languages, and the macros of the C
 * standard library that are plain lower-case words. */
static const char *const c_keywords[] = {
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Bool",
    "_Complex",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Generic",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "bool",
    "true",
    "false",
    /* C++ */
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "bitand",
    "bitor",
    "catch",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "compl",
    "concept",
    "consteval",
    "constexpr",
    "constinit",
    "const_cast",
    "co_await",
    "co_return",
    "co_yield",
    "decltype",
    "delete",
    "dynamic_cast",
    "explicit",
    "export",
    "friend",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "reinterpret_cast",
    "requires",
    "static_assert",
    "static_cast",
    "template",
    "this",
    "thread_local",
    "throw",
    "try",
    "typeid",
    "typename",
    "using",
    "virtual",
    "wchar_t",
    "xor",
    "xor_eq",
    /* Standard library macros */
    "assert",
    "errno",
    "stdin",
    "stdout",
    "stderr",
    "offsetof",
    "va_arg",
    "va_copy",
    "va_end",
    "va_start",
    "setjmp",
    "complex",
    "imaginary",
    "noreturn",
    "static_assert",
    "isfinite",
    "isinf",
    "isnan",
    "isnormal",
    "signbit",
    "fpclassify",
    "isgreater",
    "isless",
    "isunordered",
    /* Object-like macros of the C library, and gcc's outside ISO mode */
    "NULL",
    "EOF",
    "BUFSIZ",
    "FILENAME_MAX",
    "RAND_MAX",
    "EXIT_SUCCESS",
    "EXIT_FAILURE",
    "INFINITY",
    "NAN",
    "HUGE_VAL",
    "HUGE_VALF",
    "M_PI",
    "M_E",
    "M_SQRT2",
    "CHAR_BIT",
    "INT_MAX",
    "INT_MIN",
    "FLT_MAX",
    "FLT_MIN",
    "FLT_EPSILON",
    "DBL_MAX",
    "SIZE_MAX",
    "unix",
    "linux",
    "i386",
};

static bool c_identifier(const char *s)
{
    if (!s || !*s ||
        !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
          (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    for (size_t k = 0; k < sizeof c_keywords / sizeof *c_keywords; k++)
        if (!strcmp(s, c_keywords[k]))
            return false;
    return true;
}

/* A growable string; on allocation failure `bad` is set. */
typedef struct Buf {
    char *s;
    size_t len, cap;
    bool bad;
} Buf;

static void put(Buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->bad || n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->bad = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A C float literal for v that reads back as exactly (float)v. */
static void put_float(Buf *b, double v)
{
    char num[48];
    snprintf(num, sizeof num, "%.9g", (double)(float)v);
    bool plain = !strpbrk(num, ".eEn");
    put(b, "%s%sf", num, plain ? ".0" : "");
}

/* The rule's leading comment as C comment lines: each line's '#' becomes
 * the comment's ' *', and "*" "/" or "/" "*" inside are broken up so the
 * comment neither ends early nor warns. */
static void put_doc(Buf *b, const char *doc)
{
    const char *p = doc;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t k = n && p[0] == '#' ? 1 : 0;
        put(b, " *");
        for (; k < n; k++) {
            bool pair = k + 1 < n && ((p[k] == '*' && p[k + 1] == '/') ||
                                      (p[k] == '/' && p[k + 1] == '*'));
            put(b, "%c%s", p[k], pair ? " " : "");
        }
        put(b, "\n");
        p = nl ? nl + 1 : NULL;
    }
}

static void put_header(Buf *b, const Rule *r)
{
    const char *nm = r->name;
    put(b,
        "/* %s: an update rule compiled by symopt. No run-time "
        "dependency but libm.\n",
        nm);
    if (r->doc)
        put_doc(b, r->doc);
    put(b,
        " *\n"
        " * One call applies one step to n elements: w[i] -= update(i).\n"
        " * states holds %s_NSTATES pointers to n floats each, in the "
        "order\n"
        " * of the rule's state declaration, zeroed before the first step\n"
        " * and kept between steps; the tensors must not overlap. hp holds\n"
        " * the hyperparameters (start from %s_defaults);\n"
        " * lr is the scheduled learning rate of this step (the body "
        "reads it\n"
        " * instead of hp->lr); step counts from 1. */\n",
        nm, nm);

    char guard[300];
    snprintf(guard, sizeof guard, "SYMOPT_RULE_%s_H", nm);
    for (char *p = guard; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    put(b, "#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n", guard, guard);
    put(b, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");

    put(b,
        "/* The hyperparameters in header order: the layout of the hp "
        "array. */\ntypedef struct %s_hparams {\n",
        nm);
    for (int k = 0; k < r->nparams; k++)
        put(b, "    float %s;\n", r->params[k].name);
    if (!r->nparams)
        put(b, "    float unused_; /* the rule has none */\n");
    put(b, "} %s_hparams;\n\n", nm);

    put(b, "static const %s_hparams %s_defaults = {", nm, nm);
    for (int k = 0; k < r->nparams; k++) {
        put(b, "%s", k ? ", " : "");
        put_float(b, r->params[k].value);
    }
    put(b, "%s};\n\n", r->nparams ? "" : "0.0f");

    put(b, "#define %s_NPARAMS %d\n#define %s_NSTATES %d\n", nm, r->nparams, nm,
        r->nstates);
    /* The same counts under the upper-case name, as C macros go. */
    char upper[256];
    snprintf(upper, sizeof upper, "%s", nm);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    if (strcmp(upper, nm))
        put(b, "#define %s_NPARAMS %d\n#define %s_NSTATES %d\n", upper,
            r->nparams, upper, r->nstates);
    put(b, "\n");
    put(b,
        "void %s_step(int64_t n, float *w, const float *g,\n"
        "    float *const *states, const %s_hparams *hp, float lr,\n"
        "    int64_t step);\n\n",
        nm, nm);
    put(b, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

char *emit_header(const Rule *r, char *err, size_t errlen)
{
    if (!c_identifier(r->name)) {
        diag_set(err, errlen,
                 "rule name '%s' is not usable as a C "
                 "identifier",
                 r->name ? r->name : "");
        return NULL;
    }
    for (int k = 0; k < r->nparams; k++) {
        if (!c_identifier(r->params[k].name)) {
            diag_set(err, errlen,
                     "hyperparameter '%s' of rule '%s' is not "
                     "usable as a C field name",
                     r->params[k].name, r->name);
            return NULL;
        }
        if (!isfinite((float)r->params[k].value)) {
            diag_set(err, errlen,
                     "hyperparameter '%s' of rule '%s' has no "
                     "finite float value",
                     r->params[k].name, r->name);
            return NULL;
        }
    }

    Buf b = {0};
    put_header(&b, r);
    if (b.bad) {
        free(b.s);
        diag_set(err, errlen, "out of memory");
        return NULL;
    }
    return b.s;
}

/* Writes data to a fresh temporary file beside `path`; its name goes to
 * tmp (malloc'ed). 0, or -1 with a message and nothing left behind. */
static int stage(const char *path, const char *data, size_t len, char **tmp,
                 char *err, size_t errlen)
{
    size_t n = strlen(path) + 16;
    *tmp = malloc(n);
    if (!*tmp) {
        diag_set(err, errlen, "out of memory");
        return -1;
    }
    snprintf(*tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        diag_set(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return -1;
    }

    bool ok = fchmod(fd, 0644) == 0;
    for (size_t done = 0; ok && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    int saved = errno;
    if (close(fd) < 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        diag_set(err, errlen, "cannot write '%s': %s", path, strerror(saved));
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
        return -1;
    }
    return 0;
}

/* The object code of rule r for the host, in a malloc'ed buffer. */
static char *object_code(const Rule *r, size_t *len, char *err, size_t errlen)
{
    LLVMTargetMachineRef tm = cg_host_machine(LLVMRelocPIC, err, errlen);
    if (!tm)
        return NULL;
    char fname[256];
    snprintf(fname, sizeof fname, "%s_step", r->name);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = cg_build(ctx, r, fname, tm, err, errlen);
    char *code = NULL;
    if (m && cg_optimize(m, tm, err, errlen) == 0) {
        char *msg = NULL;
        LLVMMemoryBufferRef buf = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, m, LLVMObjectFile, &msg,
                                                &buf)) {
            diag_set(err, errlen, "cannot emit object code: %s",
                     msg ? msg : "?");
            LLVMDisposeMessage(msg);
        } else {
            *len = LLVMGetBufferSize(buf);
            if ((code = malloc(*len ? *len : 1)))
                memcpy(code, LLVMGetBufferStart(buf), *len);
            else
                diag_set(err, errlen, "out of memory");
            LLVMDisposeMemoryBuffer(buf);
        }
    }
    if (m)
        LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return code;
}

int emit_object(const Rule *r, const char *obj_path, const char *hdr_path,
                char *err, size_t errlen)
{
    char *hdr = emit_header(r, err, errlen);
    if (!hdr)
        return -1;
    size_t len = 0;
    char *code = object_code(r, &len, err, errlen);
    if (!code) {
        free(hdr);
        return -1;
    }

    char *tobj = NULL, *thdr = NULL;
    int rc = -1;
    if (stage(obj_path, code, len, &tobj, err, errlen) == 0 &&
        stage(hdr_path, hdr, strlen(hdr), &thdr, err, errlen) == 0) {
        if (rename(tobj, obj_path) < 0) {
            diag_set(err, errlen, "cannot write '%s': %s", obj_path,
                     strerror(errno));
        } else if (rename(thdr, hdr_path) < 0) {
            diag_set(err, errlen, "cannot write '%s': %s", hdr_path,
                     strerror(errno));
            unlink(obj_path);
        } else {
            rc = 0;
        }
    }
    if (rc < 0) {
        if (tobj)
            unlink(tobj);
        if (thdr)
            unlink(thdr);
    }
    free(tobj);
    free(thdr);
    free(code);
    free(hdr);
    return rc;
}
