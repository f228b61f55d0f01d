// Assembly module
