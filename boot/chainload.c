/* Handing the machine on to the next EFI image (the OS loader, a kernel with
 * an EFI stub, or a guest test), with LoadImage and StartImage. */
#include "loader.h"

static void ascii_to_ucs2(CHAR16 *out, const char *in, UINTN max)
{
	UINTN i;

	for (i = 0; i + 1 < max && in[i]; i++)
		out[i] = (CHAR16)(UINT8)in[i];
	out[i] = 0;
}

EFI_STATUS chainload(const struct loader_self *self, const struct dv_config *cfg)
{
	static CHAR16 path[DV_CONFIG_NEXT_MAX], args[DV_CONFIG_ARGS_MAX];
	EFI_DEVICE_PATH *dp;
	EFI_LOADED_IMAGE *li;
	EFI_HANDLE image = NULL;
	EFI_STATUS st;

	ascii_to_ucs2(path, cfg->next, DV_CONFIG_NEXT_MAX);
	dp = FileDevicePath(self->loaded->DeviceHandle, path);
	if (!dp)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, self->image, dp, NULL, 0, &image);
	FreePool(dp);
	if (EFI_ERROR(st)) {
		Print(L"drvisor: cannot load next image %s (%r)\n", path, st);
		return st;
	}
	if (cfg->next_args[0] &&
	    !EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
					 (VOID **)&li))) {
		ascii_to_ucs2(args, cfg->next_args, DV_CONFIG_ARGS_MAX);
		li->LoadOptions = args;
		li->LoadOptionsSize = (UINT32)((StrLen(args) + 1) * sizeof(CHAR16));
	}
	Print(L"drvisor: starting %s\n", path);
	st = uefi_call_wrapper(BS->StartImage, 3, image, NULL, NULL);
	Print(L"drvisor: %s returned %r\n", path, st);
	return st;
}
