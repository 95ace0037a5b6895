# review_assets.cmake: embed review.html's template (src/review/) into regrev_core at build time.
set(RR_REVIEW_SRC ${CMAKE_CURRENT_SOURCE_DIR}/src/review)
set(RR_REVIEW_C ${CMAKE_CURRENT_BINARY_DIR}/generated/review_template.c)
set(RR_REVIEW_FILES ${RR_REVIEW_SRC}/review.html ${RR_REVIEW_SRC}/review.css
  ${RR_REVIEW_SRC}/review.js ${RR_REVIEW_SRC}/kommuner.js)
add_custom_command(OUTPUT ${RR_REVIEW_C}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/generated
  COMMAND ${CMAKE_COMMAND} -DSRC=${RR_REVIEW_SRC} -DOUT=${RR_REVIEW_C}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_review.cmake
  DEPENDS ${RR_REVIEW_FILES} ${CMAKE_CURRENT_LIST_DIR}/embed_review.cmake
  COMMENT "Embedding the review.html template"
  VERBATIM)
target_sources(regrev_core PRIVATE ${RR_REVIEW_C})
