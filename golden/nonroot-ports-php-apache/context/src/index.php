<?php echo "sum=", 6 * 7, "\n";
