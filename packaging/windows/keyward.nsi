; The Windows installer, built on Linux with Debian's nsis (`packaging/windows/build`):
;   makensis -DVERSION=0.1.0 -DBIN=<dir with keyward.exe, keywardw.exe, texts> -DICON=<keyward.ico>
;            -DOUT=<setup.exe> keyward.nsi
; Per user, no administrator rights: %LOCALAPPDATA%\Programs\Keyward, a Start-menu shortcut,
; keyward.exe on the user's PATH, an entry in Apps & features, an uninstaller. `/S` installs
; and uninstalls silently. The vault (in %APPDATA%\keyward) is the user's data: the uninstaller
; leaves it, as it leaves any other document.

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user
ManifestDPIAware true

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef BIN
  !error "pass -DBIN=<folder holding keyward.exe and keywardw.exe>"
!endif
!ifndef ICON
  !error "pass -DICON=<keyward.ico>"
!endif
!ifndef OUT
  !define OUT "keyward-${VERSION}-windows-x86_64-setup.exe"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Keyward"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "WinMessages.nsh"
!include "StrFunc.nsh"
${StrStr}
${UnStrRep}

Name "Keyward"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Keyward"
InstallDirRegKey HKCU "Software\Keyward" "InstallDir"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Keyward"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "Keyward installer"
VIAddVersionKey "LegalCopyright" "Keyward developers, MIT OR Apache-2.0"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\keywardw.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open Keyward"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Keyward"
  SetOutPath "$INSTDIR"
  File "${BIN}/keyward.exe"
  File "${BIN}/keywardw.exe"
  File "${BIN}/README.txt"
  File "${BIN}/LICENSE-MIT.txt"
  File "${BIN}/LICENSE-APACHE.txt"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\Keyward.lnk" "$INSTDIR\keywardw.exe" "" "$INSTDIR\keywardw.exe" 0

  WriteRegStr HKCU "Software\Keyward" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Keyward"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Keyward developers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\keywardw.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1

  ; keyward.exe on the user's PATH, so that `keyward` works in a new terminal.
  ReadRegStr $0 HKCU "Environment" "Path"
  ${StrStr} $1 "$0;" "$INSTDIR;"
  ${If} $1 == ""
    ${If} $0 == ""
      WriteRegExpandStr HKCU "Environment" "Path" "$INSTDIR"
    ${Else}
      WriteRegExpandStr HKCU "Environment" "Path" "$0;$INSTDIR"
    ${EndIf}
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500
  ${EndIf}
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\keyward.exe"
  Delete "$INSTDIR\keywardw.exe"
  Delete "$INSTDIR\README.txt"
  Delete "$INSTDIR\LICENSE-MIT.txt"
  Delete "$INSTDIR\LICENSE-APACHE.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Keyward.lnk"

  ; Take the folder back off PATH wherever it stands in it.
  ReadRegStr $0 HKCU "Environment" "Path"
  ${UnStrRep} $0 "$0" ";$INSTDIR" ""
  ${UnStrRep} $0 "$0" "$INSTDIR;" ""
  ${If} $0 == "$INSTDIR"
    StrCpy $0 ""
  ${EndIf}
  ${If} $0 == ""
    DeleteRegValue HKCU "Environment" "Path"
  ${Else}
    WriteRegExpandStr HKCU "Environment" "Path" "$0"
  ${EndIf}
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500

  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\Keyward"
SectionEnd
