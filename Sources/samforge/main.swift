print("samforge")
