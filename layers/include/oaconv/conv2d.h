#pragma once
// oaconv::Conv2d and the other convolution modules (oaconv/conv.h).
#include <oaconv/conv.h>
