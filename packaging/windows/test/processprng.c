/* Test scaffolding for the wine check only, never packaged: Debian 12's wine 8 has no
 * bcryptprimitives.dll, whose ProcessPrng every Rust 1.78+ Windows program imports for its
 * random numbers. This DLL gives ProcessPrng over RtlGenRandom (advapi32's SystemFunction036),
 * which wine has. Built by packaging/windows/check-wine into the test prefix's system32. */
#include <windows.h>

typedef BOOLEAN(WINAPI *RtlGenRandomFn)(PVOID, ULONG);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    static RtlGenRandomFn gen;
    if (!gen) {
        HMODULE advapi = LoadLibraryA("advapi32.dll");
        if (!advapi) return FALSE;
        gen = (RtlGenRandomFn)GetProcAddress(advapi, "SystemFunction036");
        if (!gen) return FALSE;
    }
    while (len) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!gen(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
