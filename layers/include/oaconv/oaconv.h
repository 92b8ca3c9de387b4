#pragma once
// Umbrella header: everything a user of oaconv's layers needs.
#include <oaconv/algorithm.h>
#include <oaconv/allocator_tuning.h>
#include <oaconv/autotune.h>
#include <oaconv/build_info.h>
#include <oaconv/cache.h>
#include <oaconv/conv2d.h>
#include <oaconv/explain.h>
#include <oaconv/functional.h>
#include <oaconv/image_filter.h>
#include <oaconv/options.h>
#include <oaconv/profiling.h>
#include <oaconv/version.h>
