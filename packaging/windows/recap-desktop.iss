; Inno Setup script: a Windows installer around the one-folder bundle (untested: the
; project's machines run Linux only; see docs/PACKAGING.md, "Windows").
;
; On Windows, after `python packaging\build.py` made dist\recap-desktop\:
;   iscc /DAppVersion=0.1.0 packaging\windows\recap-desktop.iss
; with the version `dist\recap-desktop\recap-desktop.exe --version` prints (pyproject's).

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\recap-desktop.iss
#endif

[Setup]
AppId={{6F1E5B2C-7C1A-4F0B-9B39-2D1C0E7A4D15}
AppName=Recap Desktop
AppVersion={#AppVersion}
AppPublisher=Recap Desktop developers
DefaultDirName={autopf}\Recap Desktop
DefaultGroupName=Recap Desktop
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=recap-desktop-{#AppVersion}-windows-setup
SetupIconFile=..\..\resources\icons\recap-desktop.ico
UninstallDisplayIcon={app}\recap-desktop.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
ArchitecturesAllowed=x64compatible

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "id"; MessagesFile: "compiler:Languages\Indonesian.isl"

[Files]
Source: "..\..\dist\recap-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Recap Desktop"; Filename: "{app}\recap-desktop.exe"
Name: "{autodesktop}\Recap Desktop"; Filename: "{app}\recap-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Run]
Filename: "{app}\recap-desktop.exe"; Description: "{cm:LaunchProgram,Recap Desktop}"; Flags: nowait postinstall skipifsilent
