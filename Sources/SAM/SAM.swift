// SAM module
