$k = [Ref].Assembly.GetType(('System.Management.Automation.'+'Am'+'si{0}' -f 'Utils').Replace('X',''))
[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String('not base64!'))
'ünï' + 'cödé' -replace 'ö','o'
[char]72+[char]0x69
