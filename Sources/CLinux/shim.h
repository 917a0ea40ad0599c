// Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc
// module does not define.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>

// Allocates len bytes of disk for fd without changing its size
// (fallocate with FALLOC_FL_KEEP_SIZE). 0, or -1 with errno set.
static inline int CLinux_reserve(int fd, off_t len) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len);
}

#endif
