/* Storage for the captured loader context and the layout checks that tie it
 * to entry.asm's LC_* offsets. */
#include <stddef.h>
#include "launch_context.h"

struct launch_context launch_ctx[DV_CORE_MAX_CPUS];

_Static_assert(offsetof(struct launch_context, rsp) == 48, "LC_RSP");
_Static_assert(offsetof(struct launch_context, rip) == 56, "LC_RIP");
_Static_assert(offsetof(struct launch_context, rflags) == 64, "LC_RFLAGS");
_Static_assert(offsetof(struct launch_context, cr3) == 72, "LC_CR3");
_Static_assert(offsetof(struct launch_context, fs_base) == 80, "LC_FS_BASE");
_Static_assert(offsetof(struct launch_context, gs_base) == 88, "LC_GS_BASE");
_Static_assert(offsetof(struct launch_context, cs) == 96, "LC_CS");
_Static_assert(offsetof(struct launch_context, ldtr) == 110, "LC_LDTR");
_Static_assert(offsetof(struct launch_context, gdtr) == 112, "LC_GDTR");
_Static_assert(offsetof(struct launch_context, idtr) == 128, "LC_IDTR");
_Static_assert(sizeof(struct launch_context) == 144, "launch_context size");
