/* SPDX-License-Identifier: Apache-2.0 */
/* placeholder: implemented in its own commit */
typedef int kp_placeholder_spawn;
