// Layers module
