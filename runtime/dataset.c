/* Fashion-MNIST from IDX files through zlib, with every header field and
 * size checked, plus a synthetic blob problem for tests. Both end in the
 * same per-pixel standardization by the training part's statistics. */
#include "runtime/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "runtime/error.h"
#include "runtime/rng.h"

/* Upper bound on the bytes of one IDX file we accept: Fashion-MNIST's
 * largest is 47 MB; this leaves room for bigger sets of the same kind and
 * rejects absurd headers before any allocation. */
#define IDX_MAX_BYTES (1ull << 31)

/* The first allocation for an IDX file's data; the buffer doubles from
 * there as the data comes in. */
#define IDX_FIRST_CHUNK (1u << 20)

static const char *const data_hint =
    "; install the data with `apt-get install dataset-fashion-mnist`, or "
    "point `--data DIR` at a folder with the Fashion-MNIST IDX files";

/* Reads exactly len bytes; 1 on success, 0 at a short read, -1 on a zlib
 * error (message in err). */
static int read_exact(gzFile f, const char *path, void *buf, size_t len,
                      char *err, size_t errlen)
{
    unsigned char *p = buf;

    while (len > 0) {
        unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        int got = gzread(f, p, chunk);
        if (got < 0) {
            int code;
            const char *msg = gzerror(f, &code);
            rt_fail(err, errlen, "%s: corrupt gzip data (%s)", path, msg);
            return -1;
        }
        if (got == 0) {
            /* A truncated gzip stream reports no zlib error on some
             * versions; the short read itself is the evidence. */
            return 0;
        }
        p += got;
        len -= (size_t)got;
    }
    return 1;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

static int read_header(gzFile f, const char *path, int ndims, uint32_t dims[3],
                       uint64_t *total, char *err, size_t errlen)
{
    unsigned char h[4 + 12];
    int r = read_exact(f, path, h, 4, err, errlen);

    if (r <= 0) {
        if (r == 0)
            rt_fail(err, errlen, "%s: truncated (no IDX header)", path);
        return -1;
    }
    if (h[0] != 0 || h[1] != 0 || h[2] != 0x08 || h[3] != ndims) {
        rt_fail(err, errlen,
                "%s: bad IDX magic number 0x%02x%02x%02x%02x (expected "
                "0x000008%02x: unsigned bytes, %d dimension%s)",
                path, h[0], h[1], h[2], h[3], ndims, ndims,
                ndims == 1 ? "" : "s");
        return -1;
    }

    r = read_exact(f, path, h + 4, 4 * (size_t)ndims, err, errlen);
    if (r <= 0) {
        if (r == 0)
            rt_fail(err, errlen, "%s: truncated IDX header", path);
        return -1;
    }
    *total = 1;
    for (int i = 0; i < ndims; i++) {
        dims[i] = be32(h + 4 + 4 * i);
        if (dims[i] == 0) {
            rt_fail(err, errlen, "%s: dimension %d of the IDX header is 0",
                    path, i + 1);
            return -1;
        }
        /* Each factor is < 2^32 and the running product stays below
         * 2^31 before it, so the product cannot overflow 64 bits. */
        *total *= dims[i];
        if (*total > IDX_MAX_BYTES) {
            rt_fail(err, errlen,
                    "%s: IDX header claims more than %llu bytes of data", path,
                    (unsigned long long)IDX_MAX_BYTES);
            return -1;
        }
    }
    return 0;
}

int dataset_read_idx(const char *path, int ndims, uint8_t **data,
                     uint32_t dims[3], char *err, size_t errlen)
{
    uint64_t total;
    unsigned char extra;
    gzFile f;
    int r;

    *data = NULL;
    errno = 0;
    f = gzopen(path, "rb");
    if (!f) {
        rt_fail(err, errlen, "cannot open %s: %s", path,
                errno ? strerror(errno) : "out of memory");
        return -1;
    }
    if (read_header(f, path, ndims, dims, &total, err, errlen) < 0)
        goto fail;

    /* The buffer grows with the data that actually arrives, so that a
     * short file whose header claims gigabytes costs no more memory than
     * its own contents: the header alone proves nothing. */
    uint64_t have = 0, cap = 0;
    r = 1;
    while (r > 0 && have < total) {
        cap = have ? have * 2 : IDX_FIRST_CHUNK;
        if (cap > total)
            cap = total;
        uint8_t *grown = realloc(*data, cap);
        if (!grown) {
            rt_fail(err, errlen, "%s: out of memory for %llu bytes", path,
                    (unsigned long long)cap);
            goto fail;
        }
        *data = grown;
        r = read_exact(f, path, *data + have, cap - have, err, errlen);
        have = cap;
    }
    if (r == 0)
        rt_fail(err, errlen, "%s: truncated (header promises %llu bytes)", path,
                (unsigned long long)total);
    if (r <= 0)
        goto fail;

    r = read_exact(f, path, &extra, 1, err, errlen);
    if (r != 0) {
        if (r > 0)
            rt_fail(err, errlen,
                    "%s: extra bytes after the data the header describes",
                    path);
        goto fail;
    }
    gzclose(f);
    return 0;

fail:
    free(*data);
    *data = NULL;
    gzclose(f);
    return -1;
}

/* The first non-finite value of a split, as "example i, feature j". */
static bool find_nonfinite(const Split *s, int d, int *ex, int *feat)
{
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < d; j++)
            if (!isfinite(s->x[(size_t)i * d + j])) {
                *ex = i;
                *feat = j;
                return true;
            }
    return false;
}

/* Per-pixel mean and std over the training part, applied to all parts.
 * A constant pixel (std 0) is only centred, so it stays finite. */
int dataset_standardize(Dataset *ds, char *err, size_t errlen)
{
    int d = ds->dim;
    double *mean = calloc((size_t)d, sizeof *mean);
    double *sq = calloc((size_t)d, sizeof *sq);
    float *shift = malloc((size_t)d * sizeof *shift);
    float *scale = malloc((size_t)d * sizeof *scale);
    Split *parts[3] = {&ds->train, &ds->val, &ds->test};
    int rc = -1;

    if (!mean || !sq || !shift || !scale) {
        rt_fail(err, errlen, "out of memory standardizing the data");
        goto done;
    }
    static const char *const names[3] = {"training", "validation", "test"};
    for (int p = 0; p < 3; p++) {
        int ex, feat;
        if (find_nonfinite(parts[p], d, &ex, &feat)) {
            rt_fail(err, errlen,
                    "the %s data hold a value that is not a "
                    "finite number (example %d, feature %d); "
                    "data with NaN or Inf are refused",
                    names[p], ex, feat);
            goto done;
        }
    }
    for (int i = 0; i < ds->train.n; i++) {
        const float *row = ds->train.x + (size_t)i * d;
        for (int j = 0; j < d; j++) {
            mean[j] += row[j];
            sq[j] += (double)row[j] * row[j];
        }
    }
    for (int j = 0; j < d; j++) {
        double m = mean[j] / ds->train.n;
        double var = sq[j] / ds->train.n - m * m;
        double sd = var > 0 ? sqrt(var) : 0;
        shift[j] = (float)m;
        scale[j] = sd > 1e-12 ? (float)(1.0 / sd) : 1.0f;
    }

    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < parts[p]->n; i++) {
            float *row = parts[p]->x + (size_t)i * d;
            for (int j = 0; j < d; j++)
                row[j] = (row[j] - shift[j]) * scale[j];
        }
    }
    rc = 0;

done:
    free(mean);
    free(sq);
    free(shift);
    free(scale);
    return rc;
}

static int split_alloc(Split *s, int n, int dim)
{
    s->n = n;
    s->x = malloc((size_t)n * dim * sizeof *s->x + 1);
    s->y = malloc((size_t)n + 1);
    return s->x && s->y ? 0 : -1;
}

static void split_fill(Split *s, const uint8_t *img, const uint8_t *lab,
                       int dim)
{
    size_t total = (size_t)s->n * dim;

    for (size_t k = 0; k < total; k++)
        s->x[k] = img[k];
    memcpy(s->y, lab, (size_t)s->n);
}

/* Loads one images/labels pair and checks that they agree. */
static int load_pair(const char *dir, const char *iname, const char *lname,
                     uint8_t **img, uint8_t **lab, int *n, char *err,
                     size_t errlen)
{
    char ipath[4096], lpath[4096];
    uint32_t idims[3], ldims[3];

    snprintf(ipath, sizeof ipath, "%s/%s", dir, iname);
    snprintf(lpath, sizeof lpath, "%s/%s", dir, lname);
    if (dataset_read_idx(ipath, 3, img, idims, err, errlen) < 0)
        return -1;
    if (idims[1] != 28 || idims[2] != 28) {
        rt_fail(err, errlen, "%s: images are %ux%u, expected 28x28", ipath,
                idims[1], idims[2]);
        return -1;
    }
    if (dataset_read_idx(lpath, 1, lab, ldims, err, errlen) < 0)
        return -1;
    if (ldims[0] != idims[0]) {
        rt_fail(err, errlen, "%s holds %u labels but %s holds %u images", lpath,
                ldims[0], ipath, idims[0]);
        return -1;
    }
    for (uint32_t i = 0; i < ldims[0]; i++) {
        if ((*lab)[i] >= 10) {
            rt_fail(err, errlen,
                    "%s: label %u of example %u is out of range (0..9)", lpath,
                    (*lab)[i], i);
            return -1;
        }
    }
    *n = (int)idims[0];
    return 0;
}

int dataset_load(Dataset *ds, const char *dir, int n_val, char *err,
                 size_t errlen)
{
    uint8_t *tri = NULL, *trl = NULL, *tei = NULL, *tel = NULL;
    int ntr = 0, nte = 0, rc = -1;
    const int dim = 784;

    memset(ds, 0, sizeof *ds);
    if (!dir)
        dir = DATASET_DEFAULT_DIR;
    if (load_pair(dir, "train-images-idx3-ubyte.gz",
                  "train-labels-idx1-ubyte.gz", &tri, &trl, &ntr, err,
                  errlen) < 0 ||
        load_pair(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                  &tei, &tel, &nte, err, errlen) < 0) {
        size_t len = err ? strlen(err) : 0;
        if (err && len < errlen)
            snprintf(err + len, errlen - len, "%s", data_hint);
        goto done;
    }
    if (n_val < 0 || n_val >= ntr) {
        rt_fail(err, errlen,
                "validation size %d must be in 0..%d (the training images)",
                n_val, ntr - 1);
        goto done;
    }

    ds->dim = dim;
    ds->nclass = 10;
    if (split_alloc(&ds->train, ntr - n_val, dim) < 0 ||
        split_alloc(&ds->val, n_val, dim) < 0 ||
        split_alloc(&ds->test, nte, dim) < 0) {
        rt_fail(err, errlen, "out of memory for the data set");
        goto done;
    }
    split_fill(&ds->train, tri, trl, dim);
    split_fill(&ds->val, tri + (size_t)(ntr - n_val) * dim, trl + (ntr - n_val),
               dim);
    split_fill(&ds->test, tei, tel, dim);
    rc = dataset_standardize(ds, err, errlen);

done:
    free(tri);
    free(trl);
    free(tei);
    free(tel);
    if (rc < 0)
        dataset_free(ds);
    return rc;
}

static void blob_fill(Split *s, const float *means, int dim, int nclass, Rng *r)
{
    for (int i = 0; i < s->n; i++) {
        int c = (int)rng_below(r, (uint64_t)nclass);
        float *row = s->x + (size_t)i * dim;
        s->y[i] = (uint8_t)c;
        for (int j = 0; j < dim; j++)
            row[j] = means[c * dim + j] + (float)rng_normal(r);
    }
}

int dataset_synthetic(Dataset *ds, int dim, int nclass, int n_train, int n_val,
                      int n_test, uint64_t seed, char *err, size_t errlen)
{
    float *means;
    Rng r;

    memset(ds, 0, sizeof *ds);
    if (dim <= 0 || dim > 1 << 16 || nclass < 2 || nclass > 256 ||
        n_train <= 0 || n_val < 0 || n_test < 0 || n_train > 1 << 24 ||
        n_val > 1 << 24 || n_test > 1 << 24) {
        rt_fail(err, errlen, "synthetic data set: bad sizes");
        return -1;
    }
    means = malloc((size_t)nclass * dim * sizeof *means);
    ds->dim = dim;
    ds->nclass = nclass;
    if (!means || split_alloc(&ds->train, n_train, dim) < 0 ||
        split_alloc(&ds->val, n_val, dim) < 0 ||
        split_alloc(&ds->test, n_test, dim) < 0) {
        free(means);
        dataset_free(ds);
        rt_fail(err, errlen, "out of memory for the synthetic data set");
        return -1;
    }

    /* Means of spread 1 per coordinate against noise of std 1: classes
     * overlap in each coordinate but separate over many of them. */
    rng_seed(&r, seed);
    for (int k = 0; k < nclass * dim; k++)
        means[k] = (float)rng_normal(&r);
    blob_fill(&ds->train, means, dim, nclass, &r);
    blob_fill(&ds->val, means, dim, nclass, &r);
    blob_fill(&ds->test, means, dim, nclass, &r);
    free(means);
    if (dataset_standardize(ds, err, errlen) < 0) {
        dataset_free(ds);
        return -1;
    }
    return 0;
}

void dataset_free(Dataset *ds)
{
    Split *parts[3] = {&ds->train, &ds->val, &ds->test};

    for (int p = 0; p < 3; p++) {
        free(parts[p]->x);
        free(parts[p]->y);
        parts[p]->x = NULL;
        parts[p]->y = NULL;
        parts[p]->n = 0;
    }
}
