return {kind = "sub"}
