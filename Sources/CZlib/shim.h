// zlib, for reading gzip-compressed IDX files (the MNIST distribution format).
#include <zlib.h>
