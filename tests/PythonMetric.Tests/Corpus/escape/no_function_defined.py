# attack: source with no function to call
# expect: compilation_error: define a function
x = 1
