/* Reading files from the volume the loader itself was loaded from. */
#include "loader.h"

BOOLEAN path_join(CHAR16 *out, UINTN out_len, const CHAR16 *dir, const CHAR16 *name)
{
	UINTN dl = StrLen(dir), nl = StrLen(name);

	if (dl + 1 + nl + 1 > out_len)
		return FALSE;
	CopyMem(out, dir, dl * sizeof(CHAR16));
	out[dl] = L'\\';
	CopyMem(out + dl + 1, name, nl * sizeof(CHAR16));
	out[dl + 1 + nl] = 0;
	return TRUE;
}

EFI_STATUS file_read_all(const struct loader_self *self, const CHAR16 *path,
			 VOID **data, UINTN *size)
{
	EFI_FILE_HANDLE root, file;
	EFI_FILE_INFO *info;
	EFI_STATUS st;
	UINTN n;
	VOID *buf;

	root = LibOpenRoot(self->loaded->DeviceHandle);
	if (!root)
		return EFI_NOT_FOUND;
	st = uefi_call_wrapper(root->Open, 5, root, &file, (CHAR16 *)path, EFI_FILE_MODE_READ, 0);
	uefi_call_wrapper(root->Close, 1, root);
	if (EFI_ERROR(st))
		return st;
	info = LibFileInfo(file);
	if (!info) {
		uefi_call_wrapper(file->Close, 1, file);
		return EFI_DEVICE_ERROR;
	}
	n = info->FileSize;
	FreePool(info);
	buf = AllocatePool(n ? n : 1);
	if (!buf) {
		uefi_call_wrapper(file->Close, 1, file);
		return EFI_OUT_OF_RESOURCES;
	}
	st = uefi_call_wrapper(file->Read, 3, file, &n, buf);
	uefi_call_wrapper(file->Close, 1, file);
	if (EFI_ERROR(st)) {
		FreePool(buf);
		return st;
	}
	*data = buf;
	*size = n;
	return EFI_SUCCESS;
}
