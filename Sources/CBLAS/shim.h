// OpenBLAS as Debian ships it (libopenblas-dev). pkg-config's cflags point at the
// variant's include folder, so <cblas.h> here is OpenBLAS's own, with its
// openblas_* extensions (thread count, core name) declared beside the CBLAS API.
#include <cblas.h>
