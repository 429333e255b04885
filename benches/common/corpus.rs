//! Deterministic generator of realistic ECS 4104 NDJSON for benchmarks (same seed → same
//! bytes): benign administration, module loading, obfuscated and base64-encoded blocks,
//! PSReflect code and injection loaders (about 1% of events hit the rules), script sizes from a
//! few bytes to PowerShell's maximum, long scripts split into 10,000–19,999-character fragments
//! sharing a script block id, 300 hosts and 3,000 users over one week.

use std::io::{self, Write};

/// xorshift64*: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const ADMIN: &[&str] = &[
    "Get-Service -Name 'Spooler','wuauserv' | Where-Object {$_.Status -ne 'Running'} | Start-Service",
    "Get-ChildItem -Path C:\\Logs -Filter *.log -Recurse | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item -WhatIf",
    "$disks = Get-CimInstance -ClassName Win32_LogicalDisk -Filter \"DriveType=3\"\nforeach ($d in $disks) { '{0} {1:N1} GB free' -f $d.DeviceID, ($d.FreeSpace / 1GB) }",
    "Import-Module ActiveDirectory\nGet-ADUser -Filter {Enabled -eq $true} -Properties LastLogonDate | Select-Object SamAccountName, LastLogonDate",
    "Test-NetConnection -ComputerName fileserver.corp.local -Port 445",
    "Get-WinEvent -LogName System -MaxEvents 50 | Where-Object Level -le 2 | Format-Table TimeCreated, Id, Message -AutoSize",
    "$PSVersionTable.PSVersion",
    "Get-Process | Sort-Object WS -Descending | Select-Object -First 10 Name, Id",
    "{ Set-StrictMode -Version 1; $_.PSMessageDetails }",
    "prompt",
    "Get-NetAdapter | Where-Object Status -eq 'Up' | Get-NetIPAddress -AddressFamily IPv4",
];

const MODULE_LINES: &[&str] = &[
    "function Get-{n} {{\n    [CmdletBinding()]\n    param([Parameter(Mandatory)][string]$Name, [int]$Depth = 3)\n    begin {{ $result = [System.Collections.Generic.List[object]]::new() }}\n    process {{ foreach ($i in 1..$Depth) {{ $result.Add((Resolve-{n} -Name $Name -Level $i)) }} }}\n    end {{ $result }}\n}}\n",
    "# .SYNOPSIS\n# Helper {n} used by the deployment pipeline; see the module manifest for details.\n",
    "$script:Cache{n} = @{{}}\nif (-not $script:Cache{n}.ContainsKey($Key)) {{ $script:Cache{n}[$Key] = Get-ItemProperty -Path \"HKLM:\\SOFTWARE\\Vendor\\{n}\" }}\n",
    "Export-ModuleMember -Function Get-{n}, Set-{n}\n",
];

const INJECTION: &[&str] = &[
    "$h = [Win32.Kernel32]::OpenProcess(0x1F0FFF, $false, $pid)\n$a = [Win32.Kernel32]::VirtualAllocEx($h, 0, $sc.Length, 0x3000, 0x40)\n[Win32.Kernel32]::WriteProcessMemory($h, $a, $sc, $sc.Length, [ref]0)\n[Win32.Kernel32]::CreateRemoteThread($h, 0, 0, $a, 0, 0, 0)",
    "$m = $k::VirtualAlloc([IntPtr]::Zero, $buf.Length, 0x3000, 0x40)\n[System.Runtime.InteropServices.Marshal]::Copy($buf, 0, $m, $buf.Length)\n$f = [System.Runtime.InteropServices.Marshal]::GetDelegateForFunctionPointer($m, [Action]); $f.Invoke()",
    "$k.VirtualProtect($addr, [UIntPtr]4096, 0x40, [ref]$old) | Out-Null\n$k.QueueUserAPC($addr, $hThread, [IntPtr]::Zero); $k.ResumeThread($hThread)",
];

const PSREFLECT: &str = "$Mod = New-InMemoryModule -ModuleName Win32\n$Types = $FunctionDefinitions | Add-Win32Type -Module $Mod -Namespace 'Win32'\n$E = psenum $Mod ACCESS UInt32 @{ READ = 1 } -Bitfield";

const NEAR_MISS: &[&str] = &[
    "$h = [Native]::LoadLibraryW('amsi.dll'); $t = [Native]::CreateThread(0, 0, $h, 0, 0, 0)",
    "Invoke-VirtualAlloc -Size 4096 | Out-Null; Invoke-CreateRemoteThread -Target notepad",
    "$a = [K32]::Virtual`Alloc(0, 4096, 0x3000, 0x40)",
];

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_blob(rng: &mut Rng, len: usize) -> String {
    (0..len)
        .map(|_| B64[rng.below(64) as usize] as char)
        .collect()
}

fn obfuscated(rng: &mut Rng) -> String {
    let len = 200 + rng.below(6_000) as usize;
    let mut s =
        String::from("IEX ([Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('");
    s.push_str(&base64_blob(rng, len));
    s.push_str("')))");
    if rng.below(2) == 0 {
        s = format!("${{e`Nv:Com`SpEc}} /c {}", s.replace('e', "`e"));
    }
    s
}

fn module(rng: &mut Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 512);
    let mut n = 0;
    while s.len() < target {
        let line = rng.pick(MODULE_LINES);
        s.push_str(
            &line
                .replace("{n}", &format!("Item{n}"))
                .replace("{{", "{")
                .replace("}}", "}"),
        );
        n += 1;
    }
    s
}

/// Writes events until `bytes` bytes are written; returns the number of events.
pub fn write(out: &mut dyn Write, seed: u64, bytes: u64) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let start_ms: i64 = 1_716_163_200_000; // 2024-05-20T00:00:00Z
    let week_ms = 7 * 24 * 3_600_000i64;
    let mut written = 0u64;
    let mut events = 0u64;
    let mut line = Vec::with_capacity(64 * 1024);
    while written < bytes {
        let host = format!("ws-{:03}", rng.below(300));
        let user = format!(
            "S-1-5-21-1350058589-2282154016-2764056528-{}",
            1000 + rng.below(3000)
        );
        let t = start_ms + rng.below(week_ms as u64) as i64;
        let kind = rng.below(1000);
        let script = match kind {
            0..=4 => rng.pick(INJECTION).to_owned(),
            5..=7 => PSREFLECT.to_owned(),
            8..=9 => format!("{}\n{}", PSREFLECT, rng.pick(INJECTION)),
            10..=40 => rng.pick(NEAR_MISS).to_owned(),
            41..=140 => obfuscated(&mut rng),
            141..=200 => {
                let target = 2_000 + rng.below(60_000) as usize;
                module(&mut rng, target)
            }
            _ => rng.pick(ADMIN).to_owned(),
        };
        // PowerShell logs long scripts in fragments of 10,000–19,999 characters.
        let mut fragments = Vec::new();
        let mut rest = script.as_str();
        while rest.len() > 20_000 {
            let mut cut = 10_000 + rng.below(10_000) as usize;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            fragments.push(&rest[..cut]);
            rest = &rest[cut..];
        }
        fragments.push(rest);
        let total = fragments.len();
        let sbid = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.next() as u32,
            rng.below(65536),
            rng.below(4096),
            rng.below(4096),
            rng.next() & 0xffff_ffff_ffff
        );
        for (i, text) in fragments.iter().enumerate() {
            let ts = pstriage::ecs::format_millis(t + i as i64);
            let doc = serde_json::json!({
                "@timestamp": ts,
                "event": {"category": "process", "code": "4104", "kind": "event", "type": "info", "ingested": pstriage::ecs::format_millis(t + 3_417 + i as i64)},
                "host": {"name": host, "os": {"type": "windows", "family": "windows"}},
                "user": {"id": user},
                "powershell": {"file": {"script_block_id": sbid, "script_block_text": text}, "sequence": i + 1, "total": total},
                "winlog": {"channel": "Microsoft-Windows-PowerShell/Operational", "event_id": "4104", "record_id": (events + 1).to_string()},
            });
            line.clear();
            serde_json::to_writer(&mut line, &doc)?;
            line.push(b'\n');
            out.write_all(&line)?;
            written += line.len() as u64;
            events += 1;
        }
    }
    Ok(events)
}
