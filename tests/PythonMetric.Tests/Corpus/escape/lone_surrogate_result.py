# attack: a string result, printed text and error message holding a lone surrogate (invalid UTF-16 in JSON)
# return_type: string
# expect: value: "a?b"
def metric(event):
    print(chr(0xD800))
    return 'a' + chr(0xD800) + 'b'
