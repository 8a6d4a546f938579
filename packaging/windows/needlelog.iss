; Inno Setup script: a per-machine Windows installer for needlelog, made from the PyInstaller folder.
;
;   python -m PyInstaller --noconfirm --clean app.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\needlelog.iss
;
; gives dist\needlelog-<version>-setup.exe. The CI workflow (.github/workflows/installers.yml) passes the version
; read from needlelog/__init__.py, the one place it is kept. Installs into Program Files (administrators only),
; adds a Start-menu entry that starts the windowed needlelogw.exe, and an uninstaller that removes the program
; and nothing else: each user's charts, backups and settings live in their own data folder
; (%LOCALAPPDATA%\needlelog, platformdirs), which this installer never writes to nor removes.

#ifndef AppVersion
  #error Give the version: iscc /DAppVersion=X.Y.Z packaging\windows\needlelog.iss
#endif

#define SourceDir "..\..\dist\needlelog"

[Setup]
; The AppId ties upgrades and the uninstaller to this program: never change it.
AppId={{6F1C4E0B-9A2D-4B57-8E3C-5D1A7B2C9E40}
AppName=needlelog
AppVersion={#AppVersion}
AppVerName=needlelog {#AppVersion}
AppPublisher=needlelog
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\needlelog
DefaultGroupName=needlelog
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=needlelog-{#AppVersion}-setup
SetupIconFile=..\icons\needlelog.ico
UninstallDisplayIcon={app}\needlelog.exe
UninstallDisplayName=needlelog {#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running needlelog first (the chart is saved continuously, and a draft is reopened).
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Files]
; The whole one-folder bundle. An upgrade replaces it; files left from an older version's bundle are removed
; first ([InstallDelete]) so that no stale library is loaded.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\needlelog"; Filename: "{app}\needlelogw.exe"; WorkingDir: "{app}"; Comment: "Chart dry needling sessions"
Name: "{autoprograms}\needlelog demo clinic"; Filename: "{app}\needlelogw.exe"; Parameters: "demo"; WorkingDir: "{app}"

[Run]
Filename: "{app}\needlelogw.exe"; Description: "Start needlelog"; Flags: nowait postinstall skipifsilent unchecked

[UninstallDelete]
; Only what the program itself may have left inside its own folder; never a user's data folder.
Type: filesandordirs; Name: "{app}\_internal"
