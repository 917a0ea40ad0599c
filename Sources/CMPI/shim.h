// Open MPI's handles, for Swift. MPI_COMM_WORLD, MPI_BYTE, … are macros over
// the addresses of library globals (`((MPI_Comm) &ompi_mpi_comm_world)`), which
// Swift cannot import; each becomes a prefixed function here. Only the handles
// Backprop uses are exposed.
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm CMPI_COMM_WORLD(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype CMPI_BYTE(void) { return MPI_BYTE; }
static inline MPI_Datatype CMPI_FLOAT(void) { return MPI_FLOAT; }
static inline MPI_Datatype CMPI_DOUBLE(void) { return MPI_DOUBLE; }
static inline MPI_Datatype CMPI_INT(void) { return MPI_INT; }
static inline MPI_Op CMPI_MAX(void) { return MPI_MAX; }
static inline void *CMPI_IN_PLACE(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler CMPI_ERRORS_RETURN(void) { return MPI_ERRORS_RETURN; }
static inline int CMPI_THREAD_SERIALIZED(void) { return MPI_THREAD_SERIALIZED; }
static inline int CMPI_SUCCESS(void) { return MPI_SUCCESS; }
static inline int CMPI_MAX_ERROR_STRING(void) { return MPI_MAX_ERROR_STRING; }
static inline int CMPI_UNDEFINED(void) { return MPI_UNDEFINED; }
static inline MPI_Comm CMPI_COMM_NULL(void) { return MPI_COMM_NULL; }
static inline MPI_Status *CMPI_STATUS_IGNORE(void) { return MPI_STATUS_IGNORE; }

#endif
