/* Image classification data for the proxy tasks: Fashion-MNIST read from
 * its IDX files (gzip), split into train / validation / test, converted to
 * float once and standardized with the training part's per-pixel stats. */
#ifndef SYMOPT_DATASET_H
#define SYMOPT_DATASET_H

#include <stddef.h>
#include <stdint.h>

/* Where the Debian package dataset-fashion-mnist puts the files. */
#define DATASET_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* One part of a data set: n examples of `dim` floats, row-major, and n
 * labels in [0, nclass). */
typedef struct Split {
    int n;
    float *x;
    uint8_t *y;
} Split;

typedef struct Dataset {
    int dim;    /* floats per example (784 for 28x28 images) */
    int nclass; /* 10 */
    Split train;
    Split val;  /* the last n_val training images, never trained on */
    Split test; /* only for final reports */
} Dataset;

/* Loads Fashion-MNIST from `dir` (DATASET_DEFAULT_DIR if NULL). The
 * validation split is the last `n_val` of the 60,000 training images
 * (0 <= n_val < 60,000). Returns 0, or -1 with a message in err naming the
 * file, what is wrong with it and how to get the data. On failure `ds` is
 * left empty (dataset_free is harmless). */
int dataset_load(Dataset *ds, const char *dir, int n_val, char *err,
                 size_t errlen);

/* A synthetic problem for fast tests: nclass Gaussian blobs in `dim`
 * dimensions whose means are drawn from the seed; every split is drawn
 * from the same distribution. Standardized like dataset_load. */
int dataset_synthetic(Dataset *ds, int dim, int nclass, int n_train, int n_val,
                      int n_test, uint64_t seed, char *err, size_t errlen);

/* Reads one IDX file (gzip or plain) holding unsigned bytes with `ndims`
 * dimensions (1 for labels, 3 for images). On success *data (malloc'd,
 * caller frees) holds the bytes and dims[] the sizes. Returns -1 with a
 * message naming `path` on any problem. */
int dataset_read_idx(const char *path, int ndims, uint8_t **data,
                     uint32_t dims[3], char *err, size_t errlen);

/* Standardizes every split with the training split's per-feature mean
 * and std (dataset_load and dataset_synthetic call it; it is public for
 * data sets built by hand). A NaN or Inf anywhere is refused: -1 with a
 * message naming the split, the example and the feature. */
int dataset_standardize(Dataset *ds, char *err, size_t errlen);

void dataset_free(Dataset *ds);

#endif
