// The header's inline function is the whole of this target; a C target needs one source file.
#include "CDispatchApply.h"
