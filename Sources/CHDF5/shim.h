// The HDF5 C library as Swift sees it.
//
// HDF5's predefined types, property-list classes and access flags are macros that
// expand to `(H5open(), H5T_NATIVE_FLOAT_g)`: Swift cannot import them, and reading
// the `_g` globals directly gives -1 until the library has been opened. Each getter
// below expands the macro in C, so `H5open()` always runs before the global is read.
#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H

#include <hdf5.h>

// Native (in-memory) numeric types.
static inline hid_t CHDF5_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t CHDF5_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t CHDF5_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t CHDF5_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t CHDF5_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t CHDF5_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t CHDF5_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t CHDF5_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t CHDF5_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t CHDF5_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }

// The C string type, the base for both fixed- and variable-length strings.
static inline hid_t CHDF5_C_S1(void) { return H5T_C_S1; }
static inline size_t CHDF5_VARIABLE(void) { return H5T_VARIABLE; }

// Property-list classes.
static inline hid_t CHDF5_P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t CHDF5_P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t CHDF5_P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t CHDF5_P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t CHDF5_P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }

// Default property list, "whole dataspace" selection, default error stack.
static inline hid_t CHDF5_P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t CHDF5_S_ALL(void) { return H5S_ALL; }
static inline hid_t CHDF5_E_DEFAULT(void) { return H5E_DEFAULT; }

// File access flags for H5Fopen / H5Fcreate.
static inline unsigned CHDF5_F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned CHDF5_F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned CHDF5_F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }

// The address of a chunk that was never written (H5Dget_chunk_info_by_coord).
static inline haddr_t CHDF5_HADDR_UNDEF(void) { return HADDR_UNDEF; }

#endif
