; Hearth's Windows installer (NSIS 3): a per-user install (no administrator), a Start menu
; entry, .persona files that open in Hearth, and an uninstaller that removes exactly what the
; installer added (the user's conversations and models in %APPDATA%\Hearth stay unless the
; user ticks the box).
;
;   makensis -DVERSION=0.1.0 -DAPP_DIR=build\dist\hearth -DOUT_FILE=build\dist\Hearth-0.1.0-setup.exe packaging\windows\hearth.nsi
;
; APP_DIR is the one-folder app PyInstaller built on Windows (Hearth.exe, hearth-cli.exe,
; _internal\). It can be compiled on Linux with makensis and its registry effects checked
; under wine (tests/package/test_windows_installer.py).

Unicode true
Target amd64-unicode
!include "MUI2.nsh"
!include "FileFunc.nsh"

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef APP_DIR
  !error "Pass -DAPP_DIR=<the one-folder app>"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "Hearth-${VERSION}-setup.exe"
!endif

!define APP_NAME "Hearth"
!define PROG_ID "Hearth.Persona"
!define MIME "application/x-hearth-persona"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Hearth"

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\Hearth"
InstallDirRegKey HKCU "Software\Hearth" "InstallDir"
RequestExecutionLevel user
SetCompressor /SOLID lzma
ManifestDPIAware true

!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\Hearth.exe"
!insertmacro MUI_PAGE_LICENSE "..\..\LICENSE"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

Section "Hearth" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  File /r "${APP_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\Hearth" "InstallDir" "$INSTDIR"

  ; Start menu
  CreateShortcut "$SMPROGRAMS\Hearth.lnk" "$INSTDIR\Hearth.exe" "" "$INSTDIR\Hearth.exe" 0

  ; .persona -> Hearth.Persona -> "Hearth.exe" "%1"
  WriteRegStr HKCU "Software\Classes\.persona" "" "${PROG_ID}"
  WriteRegStr HKCU "Software\Classes\.persona" "Content Type" "${MIME}"
  WriteRegStr HKCU "Software\Classes\${PROG_ID}" "" "Hearth persona"
  WriteRegStr HKCU "Software\Classes\${PROG_ID}\DefaultIcon" "" "$INSTDIR\Hearth.exe,0"
  WriteRegStr HKCU "Software\Classes\${PROG_ID}\shell\open\command" "" '"$INSTDIR\Hearth.exe" "%1"'
  ; Hearth under "Default apps"
  WriteRegStr HKCU "Software\Hearth\Capabilities" "ApplicationName" "Hearth"
  WriteRegStr HKCU "Software\Hearth\Capabilities" "ApplicationDescription" "Offline calls with licensed personas"
  WriteRegStr HKCU "Software\Hearth\Capabilities\FileAssociations" ".persona" "${PROG_ID}"
  WriteRegStr HKCU "Software\RegisteredApplications" "Hearth" "Software\Hearth\Capabilities"

  ; Apps & features
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Hearth"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Hearth developers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\Hearth.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"

  ; Tell Explorer the associations changed (SHCNE_ASSOCCHANGED, SHCNF_IDLIST).
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

Section "un.Hearth" SecUnApp
  SectionIn RO
  Delete "$SMPROGRAMS\Hearth.lnk"
  ; Only our own association: another program may have taken .persona since.
  ReadRegStr $0 HKCU "Software\Classes\.persona" ""
  StrCmp $0 "${PROG_ID}" 0 +2
    DeleteRegKey HKCU "Software\Classes\.persona"
  DeleteRegKey HKCU "Software\Classes\${PROG_ID}"
  DeleteRegValue HKCU "Software\RegisteredApplications" "Hearth"
  DeleteRegKey HKCU "Software\Hearth"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\Hearth.exe"
  Delete "$INSTDIR\hearth-cli.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

Section /o "un.Also delete my conversations, memories and models" SecUnData
  RMDir /r "$APPDATA\Hearth"
SectionEnd
