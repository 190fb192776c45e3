/* Error messages of the runtime library: formatted into the caller's
 * buffer, never printed (the driver reports them). */
#ifndef SYMOPT_RUNTIME_ERROR_H
#define SYMOPT_RUNTIME_ERROR_H

#include <stddef.h>

/* Writes the message into err (dropped when err is NULL or errlen 0). */
void rt_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
